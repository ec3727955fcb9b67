"""A queue's suggested slots over HTTP: the org's best times per platform of the queue (its own engagement, in
its time zone), a platform with too little history says so instead of guessing, the plan gate and tenants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lily.analytics.models import AnalyticsPost, published_key
from lily.core import clock
from tests.integration.publishing.test_queues_http import _org, _queue
from tests.support.billing import set_plan
from tests.support.identity import create_api_key

NOW = datetime(2027, 1, 13, 12, 0, tzinfo=UTC)  # a Wednesday in winter: Berlin is UTC+1


def _history(org_id: str, connection_id: str, platform: str, n: int, hour_utc: int, likes: int, start: int = 0):
    """``n`` published targets, one a day, at ``hour_utc``, settled (collected a day later) with 1,000 views."""
    for i in range(start, start + n):
        at = (NOW - timedelta(days=2 + i)).replace(hour=hour_utc, minute=0)
        AnalyticsPost(org_id, published_key(at, f"t{platform}{i}"), target_id=f"t{platform}{i}", post_id=f"p{i}",
                      connection_id=connection_id, platform=platform, platform_post_id=f"pp{platform}{i}",
                      published_at=at, impressions=1000, likes=likes, comments=1, shares=None, clicks=0,
                      collected_at=at + timedelta(days=1)).save()


def test_suggested_slots_come_from_the_orgs_best_times_in_its_zone(http):
    with clock.freeze(NOW):
        # Given an org in Berlin whose X history is 20 evening posts (17:00 UTC) that did three times better than
        # 15 morning ones (07:00 UTC), and whose LinkedIn history is 5 posts
        org = _org(http, zone="Europe/Berlin")
        _history(org["id"], org["x"], "x", 20, 17, 60)
        _history(org["id"], org["x"], "x", 15, 7, 20, start=20)
        _history(org["id"], org["linkedin"], "linkedin", 5, 9, 50)
        queue_id = _queue(http, org, [("wed", "18:00")], connections=[org["x"], org["linkedin"]])

        # When the queue's suggested slots are asked for
        r = http.get(f"/api/orgs/{org['id']}/queues/{queue_id}/suggested-slots", headers=org["headers"])

    # Then X's best slots are 18:00 Berlin time (17:00 UTC in winter), best first, the queue's own one marked
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["timezone"] == "Europe/Berlin" and body["queue_id"] == queue_id
    by = {p["platform"]: p for p in body["platforms"]}
    assert set(by) == {"x", "linkedin"}
    x = by["x"]
    assert x["status"] == "ok" and x["slots"] and [s["rank"] for s in x["slots"]] == list(range(1, len(x["slots"]) + 1))
    assert x["slots"][0]["time"] == "18:00"
    assert all(s["in_queue"] == ((s["weekday"], s["time"]) == ("wed", "18:00")) for s in x["slots"])
    # and LinkedIn, with five posts, gets no guess but says why
    assert by["linkedin"]["status"] == "insufficient_history" and by["linkedin"]["slots"] == []
    assert "linkedin" in by["linkedin"]["message"]


def test_suggested_slots_without_history_the_plan_gate_and_another_org(http):
    with clock.freeze(NOW):
        org = _org(http)
        queue_id = _queue(http, org, [("mon", "09:00")])
        url = f"/api/orgs/{org['id']}/queues/{queue_id}/suggested-slots"
        # no history at all: said so, nothing suggested
        r = http.get(url, headers=org["headers"])
        assert r.status_code == 200, r.text
        assert [(p["platform"], p["status"], p["slots"]) for p in r.json()["platforms"]] == [
            ("x", "insufficient_history", [])]
        # another org's queue is not found from here, and its member is refused on this org
        other = _org(http)
        assert http.get(f"/api/orgs/{other['id']}/queues/{queue_id}/suggested-slots",
                        headers=other["headers"]).status_code == 404
        assert http.get(url, headers=other["headers"]).status_code in (403, 404)
        # an API key needs queues:read
        key = create_api_key(http, org["headers"], org["id"], scopes=["posts:read"])["headers"]
        assert http.get(url, headers=key).status_code == 403
        key = create_api_key(http, org["headers"], org["id"], scopes=["queues:read"])["headers"]
        assert http.get(url, headers=key).status_code == 200
        # below pro: the plan gate
        set_plan(org["id"], "starter")
        r = http.get(url, headers=org["headers"])
        assert r.status_code == 403 and r.json()["error"]["code"] == "PLAN_001", r.text
