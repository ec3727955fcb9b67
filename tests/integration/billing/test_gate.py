"""The same gate as FastAPI dependencies: 403/429 with the taxonomy body, Retry-After, release on failure."""

from __future__ import annotations

from fastapi import Depends
from fastapi.testclient import TestClient

from lily.billing.entitlements import usage
from lily.billing.gates import consumes_quota, requires_feature
from lily.core import ids
from lily.core.http import create_app


def _app():
    app = create_app("gate test")

    @app.post("/api/orgs/{org_id}/posts", dependencies=[Depends(consumes_quota("posts_per_day"))])
    def create_post(org_id: str, fail: bool = False) -> dict:
        if fail:
            raise RuntimeError("boom")
        return {"ok": True}

    @app.get("/api/orgs/{org_id}/queues")
    def queues(org_id: str, plan=Depends(requires_feature("advanced_scheduling"))) -> dict:
        return {"plan": plan.plan_id}

    return app


def test_quota_dependency_answers_429_with_limit_usage_reset_and_upgrade(lily_env):
    client = TestClient(_app(), raise_server_exceptions=False)
    org_id = ids.new_id("org")
    # A failing route gives its unit back
    assert client.post(f"/api/orgs/{org_id}/posts?fail=true").status_code == 500
    assert {u.quota: u.used for u in usage(org_id)}["posts_per_day"] == 0
    assert client.post(f"/api/orgs/{org_id}/posts").status_code == 200
    r = client.post(f"/api/orgs/{org_id}/posts")
    assert r.status_code == 429
    err = r.json()["error"]
    assert err["code"] == "PLAN_002"
    assert {k: err["details"][k] for k in ("quota", "limit", "used", "plan", "upgrade_to")} == {
        "quota": "posts_per_day", "limit": 1, "used": 1, "plan": "free", "upgrade_to": "starter"}
    assert err["details"]["reset_at"].endswith("T00:00:00Z")
    assert 0 < int(r.headers["Retry-After"]) <= 86400


def test_feature_dependency_answers_403_naming_the_plan_that_has_it(lily_env):
    client = TestClient(_app())
    r = client.get(f"/api/orgs/{ids.new_id('org')}/queues")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "PLAN_001"
    assert r.json()["error"]["details"] == {"feature": "advanced_scheduling", "plan": "free", "upgrade_to": "pro"}
