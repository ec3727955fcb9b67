"""End to end in local mode: connect X (sandbox OAuth), publish a post through the dispatcher and publisher,
collect its metrics from the X sandbox (on demand, then by the hourly schedule), and read them in the analytics
API: the curve grows as the sandbox's engagement does. Also the collection's cost in AWS calls per target."""

from __future__ import annotations

from datetime import timedelta

from lily.core import clock
from lily.local.sandboxes import engagement
from tests.helpers import drain
from tests.integration.social.conftest import connect
from tests.support.billing import set_plan
from tests.support.identity import create_api_key, create_org, register_user


def test_publish_collect_and_read_analytics(http, local_suite, sandboxes):
    user = register_user(http)
    org_id = create_org(http, user["headers"])
    set_plan(org_id, "enterprise")
    connection_id = connect(http, user["headers"], org_id, "x")["connections"][0]["connection_id"]
    key = create_api_key(http, user["headers"], org_id, scopes=["analytics:read", "analytics:write"])["headers"]
    # Given a post published on the X sandbox
    r = http.post(f"/api/orgs/{org_id}/posts", headers={**user["headers"], "Idempotency-Key": "a-e2e-1"},
                  json={"text": "Analytics end to end", "targets": [{"connection_id": connection_id}]})
    assert r.status_code == 201, r.text
    post_id = r.json()["post_id"]
    at = (clock.now() + timedelta(seconds=90)).replace(microsecond=0)
    r = http.post(f"/api/orgs/{org_id}/posts/{post_id}/schedule", headers=user["headers"],
                  json={"scheduled_at": at.isoformat(), "timezone": "UTC"})
    assert r.status_code == 200, r.text
    with clock.freeze(at.timestamp() + 5):
        assert http.post("/_local/schedules/dispatcher/fire").status_code == 200
        drain(local_suite)
        target = http.get(f"/api/orgs/{org_id}/posts/{post_id}", headers=user["headers"]).json()["targets"][0]
        assert target["state"] == "published", target
        # When analytics is refreshed an hour later
        clock.advance(3600)
        r = http.post(f"/api/orgs/{org_id}/analytics/refresh", headers=key)
        assert r.status_code == 202 and r.json()["connections"] == 1
        drain(local_suite)
        # And the refresh took the connection's follower count of the day from the X sandbox (users/me)
        followers = http.get(f"/api/orgs/{org_id}/analytics/followers", headers=key).json()["rows"]
        assert [(f["connection_id"], f["platform"]) for f in followers] == [(connection_id, "x")]
        user_name = next(iter(sandboxes["x"].state.posts.values()))["owner"]
        assert followers[0]["last"] == engagement.followers(user_name) >= 100
        # And the hourly schedule runs two hours after that (the post is younger than 48 h)
        clock.advance(2 * 3600)
        assert http.post("/_local/schedules/analytics_schedule/fire").status_code == 200
        drain(local_suite)
        # Then the post's curve has two points that grow, equal to what the sandbox reported
        curve = http.get(f"/api/orgs/{org_id}/analytics/posts/{post_id}", headers=key).json()
        points = curve["targets"][0]["points"]
        assert len(points) == 2
        assert 0 < points[0]["impressions"] < points[1]["impressions"]
        tweet = sandboxes["x"].state.posts[target["platform_post_id"]]
        expected = engagement.counts(tweet["id"], engagement.iso_ts(tweet["created_at"]))
        assert points[1]["impressions"] == expected["impressions"] and points[1]["likes"] == expected["likes"]
        # And the per-platform table and top posts show it
        table = http.get(f"/api/orgs/{org_id}/analytics/platforms", headers=key).json()
        assert table["rows"][0]["key"] == "x" and table["rows"][0]["impressions"] == expected["impressions"]
        top = http.get(f"/api/orgs/{org_id}/analytics/top-posts", headers=key).json()
        assert top["rows"][0]["post_id"] == post_id
