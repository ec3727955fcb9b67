"""Autopilot over HTTP: settings, a free org refused with the plan that lifts it, runs and notices visible,
API key scopes and tenant isolation."""

from __future__ import annotations

from tests.support.billing import set_plan
from tests.support.identity import create_api_key, create_org, register_user


def _org(http, plan: str | None = None) -> dict:
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    if plan:
        set_plan(org_id, plan)
    return {"id": org_id, "headers": owner["headers"]}


def test_a_free_org_is_refused_with_the_plan_that_lifts_it(http):
    org = _org(http)
    base = f"/api/orgs/{org['id']}/autopilot"
    got = http.get(base + "/settings", headers=org["headers"])
    assert got.status_code == 200 and got.json()["level"] == "none" and got.json()["upgrade_to"] == "starter"
    r = http.put(base + "/settings", json={"enabled": True}, headers=org["headers"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "PLAN_001", r.text
    assert r.json()["error"]["details"]["upgrade_to"] == "starter"
    r = http.post(base + "/runs", headers=org["headers"])
    assert r.status_code == 403 and r.json()["error"]["details"]["upgrade_to"] == "starter", r.text
    runs = http.get(base + "/runs", headers=org["headers"]).json()["items"]
    assert [(x["status"], x["stopped"]["upgrade_to"]) for x in runs] == [("refused", "starter")]
    notices = http.get(base + "/notices", headers=org["headers"]).json()["items"]
    assert notices[0]["reason"] == "plan" and notices[0]["upgrade_to"] == "starter"


def test_settings_a_manual_run_and_its_log(http):
    org = _org(http, "pro")
    base = f"/api/orgs/{org['id']}/autopilot"
    body = {"enabled": True, "posts_per_day": 2, "topics": ["launch week"], "days": ["mon", "tue"],
            "quiet_hours": {"start": 22, "end": 7}, "monthly_budget_usd": 5}
    r = http.put(base + "/settings", json=body, headers=org["headers"])
    assert r.status_code == 200 and r.json()["enabled"] and r.json()["level"] == "enhanced", r.text
    assert r.json()["next_run"] and r.json()["version"] == 1
    stale = http.put(base + "/settings", json={**body, "expected_version": 0}, headers=org["headers"])
    assert stale.status_code == 409
    bad = http.put(base + "/settings", json={**body, "posts_per_day": 0, "days": ["someday"]},
                   headers=org["headers"])
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "VALIDATION_001"
    r = http.post(base + "/runs", headers=org["headers"])
    assert r.status_code == 202 and r.json()["status"] == "queued", r.text
    run_id = r.json()["run_id"]
    got = http.get(f"{base}/runs/{run_id}", headers=org["headers"])
    assert got.status_code == 200 and got.json()["log"][0]["event"] == "queued"
    assert http.get(f"{base}/runs/run_nope", headers=org["headers"]).status_code == 404
    assert http.get(f"{base}/reports/2026-12-07", headers=org["headers"]).status_code == 404
    assert http.get(f"{base}/reports/yesterday", headers=org["headers"]).status_code == 422


def test_keys_need_autopilot_scopes_and_other_orgs_see_nothing(http):
    org = _org(http, "pro")
    base = f"/api/orgs/{org['id']}/autopilot"
    key = create_api_key(http, org["headers"], org["id"], scopes=["posts:read"], role="admin")
    r = http.get(base + "/runs", headers=key["headers"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_003"
    reader = create_api_key(http, org["headers"], org["id"], scopes=["autopilot:read"], role="admin")
    assert http.get(base + "/runs", headers=reader["headers"]).status_code == 200
    assert http.post(base + "/runs", headers=reader["headers"]).status_code == 403
    stranger = _org(http)
    assert http.get(base + "/settings", headers=stranger["headers"]).status_code == 404
