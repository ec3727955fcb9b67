"""An evergreen pool set to ``vary``, in local mode: the automation schedule, the dispatcher and the publisher on
the X sandbox (which refuses duplicate text, as X does), the rewording through content's rewrite on the
OpenAI-compatible sandbox. X never gets one text twice, the item goes out again reworded, each rewording takes one
unit of the org's AI quota, and when the quota refuses, the turn is skipped (nothing sent, said in last_error)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lily.billing import entitlements
from lily.core import clock
from tests.helpers import drain
from tests.integration.social.conftest import connect
from tests.support.billing import set_plan
from tests.support.identity import create_api_key, create_org, register_user
from tests.support.sandboxes import reset_between, running_sandboxes

T0 = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
TIP = "Evergreen tip: write the alt text of every image you post."


@pytest.fixture(scope="module")
def started():
    tuning = {"LILY_SOCIAL_HTTP_TIMEOUT_S": "6", "LILY_AI_TIMEOUT_S": "5"}
    with running_sandboxes(["x", "openai"], tuning) as s:
        yield s


def _fire(http, local_suite, name: str) -> dict:
    r = http.post(f"/_local/schedules/{name}/fire")
    assert r.status_code == 200, r.text
    drain(local_suite)
    return r.json()["result"]


def _automation(http, local_suite, org_id: str) -> tuple[int, int]:
    """One automation run: (evergreen posts made, AI requests it took from today's quota)."""
    before = _ai_used(org_id)
    made = _fire(http, local_suite, "automation_schedule")["evergreen_created"]
    return made, _ai_used(org_id) - before


def _ai_used(org_id: str) -> int:
    return next(u.used for u in entitlements.usage(org_id) if u.quota == "ai_text_requests")


def test_a_vary_pool_never_sends_identical_text_on_x_and_posts_a_reworded_one(started, http, local_suite):
    with reset_between(started), clock.freeze(T0):
        user = register_user(http)
        org_id = create_org(http, user["headers"])
        set_plan(org_id, "pro")
        x = connect(http, user["headers"], org_id, "x")["connections"][0]["connection_id"]
        key = create_api_key(http, user["headers"], org_id, scopes=["automation:read", "automation:write"])
        headers = key["headers"]
        set_plan(org_id, "pro")
        # Given a one-item pool on X, one post a day, a one-day gap, set to vary
        r = http.post(f"/api/orgs/{org_id}/evergreen", headers=headers, json={
            "name": "tips", "connection_ids": [x], "posts": [{"text": TIP}], "interval_hours": 24,
            "min_gap_days": 1, "starts_at": (T0 + timedelta(hours=3)).isoformat(), "on_duplicate": "vary"})
        assert r.status_code == 201 and r.json()["on_duplicate"] == "vary", r.text
        pool_id = r.json()["pool_id"]

        # When four days pass with the automation, the dispatcher and the publisher running
        made, spent = _automation(http, local_suite, org_id)
        for day in range(4):
            clock.advance((T0 + timedelta(hours=3, days=day, minutes=2) - clock.now()).total_seconds())
            more, took = _automation(http, local_suite, org_id)
            made, spent = made + more, spent + took
            _fire(http, local_suite, "dispatcher")

        # Then X got the item every day, never one text twice (the sandbox refuses duplicates, and none was
        # refused): first as written, then reworded
        sent = sorted(started["x"].state.posts.values(), key=lambda p: (p["created_ts"], int(p["id"])))
        texts = [p["text"] for p in sent if not p.get("deleted")]
        assert len(texts) == 4 and len(set(texts)) == 4, texts
        assert texts[0] == TIP and all(t != TIP for t in texts[1:])
        # and each rewording took one unit of the AI quota (the posts made ahead within the horizon included)
        assert made >= 5 and spent == made - 1
        pool = http.get(f"/api/orgs/{org_id}/evergreen/{pool_id}", headers=headers).json()
        assert pool["status"] == "active" and pool["last_error"] is None and pool["posts"][0]["times"] == made

        # When the AI quota is used up and the next turn comes
        clock.advance(24 * 3600)
        entitlements.consume(org_id, "ai_text_requests", entitlements.remaining(org_id, "ai_text_requests"))
        again, _ = _automation(http, local_suite, org_id)
        _fire(http, local_suite, "dispatcher")

        # Then the turn is skipped: nothing made, nothing sent twice, the pool says why and goes on
        assert again == 0
        pool = http.get(f"/api/orgs/{org_id}/evergreen/{pool_id}", headers=headers).json()
        assert pool["status"] == "active" and pool["last_error"]["code"] == "PLAN_002", pool
        assert pool["posts"][0]["times"] == made
        texts = [p["text"] for p in started["x"].state.posts.values() if not p.get("deleted")]
        assert len(texts) == len(set(texts))
