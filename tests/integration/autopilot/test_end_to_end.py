"""End to end in local mode: a post published on the X sandbox, its metrics collected from the sandbox, then
autopilot's run (the real worker, the content pipeline on the OpenAI-compatible sandbox) drafts a post for the
org's best slot, learned from that history, and it waits for approval."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lily.core import clock
from tests.helpers import drain
from tests.integration.social.conftest import connect
from tests.support.billing import set_plan
from tests.support.identity import auth_headers, create_api_key, create_org, login, register_user
from tests.support.sandboxes import reset_between, running_sandboxes

T0 = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # a Tuesday


@pytest.fixture(scope="module")
def started():
    tuning = {"LILY_SOCIAL_HTTP_TIMEOUT_S": "6", "LILY_ANALYTICS_CALL_INTERVAL_S": "0", "LILY_AI_TIMEOUT_S": "5",
              "LILY_AUTOPILOT_IMAGE_CHECK_DELAY_S": "0",  # the run's look at its image jobs at once
              # the 20 history posts go out back to back (X allows 100 per 15 minutes; the default burst is 5)
              "LILY_PUBLISHING_PACING": json.dumps({"x": [{"scope": "account", "limit": 100, "window_s": 900,
                                                           "burst": 25}]})}
    with running_sandboxes(["x", "openai"], tuning) as s:
        yield s


def test_publish_collect_then_autopilot_drafts_for_the_best_slot(started, http, local_suite):
    with reset_between(started), clock.freeze(T0):
        user = register_user(http)
        org_id = create_org(http, user["headers"])
        set_plan(org_id, "enterprise")
        connection_id = connect(http, user["headers"], org_id, "x")["connections"][0]["connection_id"]
        key = create_api_key(http, user["headers"], org_id, scopes=["analytics:write", "autopilot:read"])["headers"]
        # Given 20 posts (the history analytics' best times need on a platform) published on the X sandbox at
        # 10:01 UTC on a Tuesday
        post_ids = []
        for n in range(20):
            r = http.post(f"/api/orgs/{org_id}/posts", headers=user["headers"],
                          json={"text": f"Autopilot end to end {n}", "targets": [{"connection_id": connection_id}]})
            post_ids.append(r.json()["post_id"])
            r = http.post(f"/api/orgs/{org_id}/posts/{post_ids[-1]}/schedule", headers=user["headers"],
                          json={"scheduled_at": (T0 + timedelta(seconds=90)).isoformat()})
            assert r.status_code == 200, r.text
        clock.advance(95)
        assert http.post("/_local/schedules/dispatcher/fire").status_code == 200
        drain(local_suite)
        states = [http.get(f"/api/orgs/{org_id}/posts/{p}", headers=user["headers"]).json()["status"]
                  for p in post_ids]
        assert set(states) == {"published"}, states
        # and its metrics collected from the sandbox an hour later
        clock.advance(3600)
        assert http.post(f"/api/orgs/{org_id}/analytics/refresh", headers=key).status_code == 202
        drain(local_suite)
    # When, a week later at 08:00, the org (now on the starter plan: autopilot drafts for approval) runs autopilot
    with clock.freeze(T0 + timedelta(days=7, hours=-2)):
        user = {**user, "headers": _login(http, user)}
        set_plan(org_id, "starter")
        r = http.put(f"/api/orgs/{org_id}/autopilot/settings", headers=user["headers"],
                     json={"enabled": True, "posts_per_day": 1, "topics": ["what we learned shipping"],
                           "monthly_budget_usd": 1})
        assert r.status_code == 200 and r.json()["level"] == "basic", r.text
        r = http.post(f"/api/orgs/{org_id}/autopilot/runs", headers=user["headers"])
        assert r.status_code == 202, r.text
        drain(local_suite)
        done = http.get(f"/api/orgs/{org_id}/autopilot/runs/{r.json()['run_id']}", headers=key).json()
        # Then it read the history, and drafted one post for the best slot (Tuesday 10:00 UTC), waiting for approval
        assert done["status"] == "done", done
        assert done["read"]["history"] == ["x"] and done["read"]["best_slots"]["x"][0][1] == 10
        assert [(m["at"], m["state"]) for m in done["made"]] == [("2026-12-15T10:00:00Z", "pending_approval")]
        assert done["spent"]["ai_requests"] == 1 and done["spent"]["cost_usd"] > 0
        queue = http.get(f"/api/orgs/{org_id}/approvals", headers=user["headers"]).json()["items"]
        assert [(q["subject_id"], q["origin"]) for q in queue] == [(done["made"][0]["post_id"], "autopilot")]


def _login(http, user: dict) -> dict:
    """A fresh session (the week that passed on Lily's clock outlived the first one)."""
    return auth_headers(login(http, user["email"], user["password"])["access_token"])


def test_autopilot_posts_with_an_image_made_by_the_image_pipeline(started, http, local_suite):
    """The real ports end to end: the run (worker) writes on the OpenAI-compatible sandbox, starts the post's image
    job through the image pipeline, the image worker generates and stores it, the run's look attaches it to the
    post and schedules the post."""
    from lily.billing.entitlements import usage

    with reset_between(started), clock.freeze(T0 - timedelta(hours=4)):  # 06:00 UTC on a Tuesday
        user = register_user(http)
        org_id = create_org(http, user["headers"])
        set_plan(org_id, "pro")
        connect(http, user["headers"], org_id, "x")
        r = http.put(f"/api/orgs/{org_id}/autopilot/settings", headers=user["headers"],
                     json={"enabled": True, "posts_per_day": 1, "topics": ["harbor tours in spring"],
                           "monthly_budget_usd": 1, "images": True})
        assert r.status_code == 200 and r.json()["images"] is True, r.text
        r = http.post(f"/api/orgs/{org_id}/autopilot/runs", headers=user["headers"])
        assert r.status_code == 202, r.text
        drain(local_suite)
        done = http.get(f"/api/orgs/{org_id}/autopilot/runs/{r.json()['run_id']}", headers=user["headers"]).json()
        assert done["status"] == "done", done
        made = done["made"][0]
        assert made["state"] == "scheduled" and made["image"]["state"] == "attached", done["log"]
        job = http.get(f"/api/orgs/{org_id}/images/jobs/{made['image']['job_id']}", headers=user["headers"]).json()
        assert job["status"] == "done" and job["media_id"] == made["image"]["media_id"]
        post = http.get(f"/api/orgs/{org_id}/posts/{made['post_id']}", headers=user["headers"]).json()
        assert post["status"] == "scheduled" and post["media_ids"] == [job["media_id"]]
        medium = http.get(f"/api/orgs/{org_id}/media/{job['media_id']}", headers=user["headers"]).json()
        assert medium["generated"] is True
        # one unit of the plan's images, taken once (by autopilot; the pipeline did not take it again)
        assert next(u.used for u in usage(org_id) if u.quota == "image_generations") == 1
        assert done["spent"]["images"] == 1 and done["spent"]["cost_usd"] > 0.04
