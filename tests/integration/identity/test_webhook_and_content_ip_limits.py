"""Per-IP rate limits on the public Stripe webhook and on the content function (issue 25 security 6): the docs
promise one for every route class. Unsigned deliveries and anonymous drafts are refused (400 / 401) until the
window's budget is spent, then 429 RATE_001 with Retry-After."""

from __future__ import annotations

from lily.core import clock
from lily.core.config import reset_settings


def fresh_window(monkeypatch, limit: int) -> None:
    monkeypatch.setenv("LILY_RATE_LIMIT_IP", str(limit))
    reset_settings()
    clock.advance(-(clock.now_ts() % 60) + 60)


def test_the_stripe_webhook_is_limited_per_ip(http, lily_env, monkeypatch):
    fresh_window(monkeypatch, 4)
    codes = [http.post("/webhooks/stripe", content=b"{}", headers={"stripe-signature": "t=1,v1=00"}).status_code
             for _ in range(5)]
    assert codes == [400] * 4 + [429]
    r = http.post("/webhooks/stripe", content=b"{}")
    assert r.json()["error"]["code"] == "RATE_001" and int(r.headers["Retry-After"]) >= 1


def test_content_generation_is_limited_per_ip(http, lily_env, monkeypatch):
    fresh_window(monkeypatch, 3)
    path = "/api/orgs/org_01jdratelimit0000000000001/content/generate"
    codes = [http.post(path, json={"topic": "x", "platforms": ["x"]}).status_code for _ in range(4)]
    assert codes == [401] * 3 + [429]
