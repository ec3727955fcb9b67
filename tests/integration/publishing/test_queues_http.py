"""Posting queues and the calendar over HTTP: slots across daylight-saving changes in the org's zone, reorder,
removal, pause, conflicts refused, the plan gate, scopes, tenants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lily.billing import entitlements
from lily.core import clock, ids
from lily.core.config import reset_settings
from lily.social.models import SocialConnection
from tests.support.billing import set_plan
from tests.support.identity import auth_headers, create_api_key, create_org, login, register_user

SAT_BEFORE_BERLIN_SPRING = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)  # Berlin springs forward 2027-03-28


def _connection(org_id: str, platform: str = "x") -> str:
    conn_id = ids.new_id("soc")
    now = clock.now()
    SocialConnection(org_id, conn_id, platform=platform, account_id=f"acct-{conn_id}", account_kind="user",
                     account_name="Test account", access_envelope="sealed", grant_id="grant", created_by="usr_test",
                     created_at=now, updated_at=now).save()
    return conn_id


def _org(http, plan: str = "pro", zone: str | None = None) -> dict:
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    set_plan(org_id, plan)
    if zone:
        r = http.patch(f"/api/orgs/{org_id}", json={"timezone": zone}, headers=owner["headers"])
        assert r.status_code == 200 and r.json()["timezone"] == zone, r.text
    return {"id": org_id, "headers": owner["headers"], "x": _connection(org_id, "x"),
            "linkedin": _connection(org_id, "linkedin"), "owner": owner}


def _post(http, org, text="Hello", connections=None) -> str:
    body = {"text": text, "targets": [{"connection_id": c} for c in (connections or [org["x"]])]}
    r = http.post(f"/api/orgs/{org['id']}/posts", json=body, headers=org["headers"])
    assert r.status_code == 201, r.text
    return r.json()["post_id"]


def _queue(http, org, slots, connections=None, move_up=True) -> str:
    body = {"name": "Weekdays", "connection_ids": connections or [org["x"]], "move_up_on_remove": move_up,
            "slots": [{"weekday": d, "time": t} for d, t in slots]}
    r = http.post(f"/api/orgs/{org['id']}/queues", json=body, headers=org["headers"])
    assert r.status_code == 201, r.text
    return r.json()["queue_id"]


def _enqueue(http, org, post_id, queue_id):
    return http.post(f"/api/orgs/{org['id']}/posts/{post_id}/queue", json={"queue_id": queue_id},
                     headers=org["headers"])


def _entries(http, org, queue_id) -> list[tuple[str, str]]:
    r = http.get(f"/api/orgs/{org['id']}/queues/{queue_id}", headers=org["headers"])
    assert r.status_code == 200, r.text
    return [(e["post_id"], e["at"]) for e in r.json()["entries"]]


def _scheduled_at(http, org, post_id) -> str | None:
    return http.get(f"/api/orgs/{org['id']}/posts/{post_id}", headers=org["headers"]).json()["scheduled_at"]


def _z(iso: str) -> datetime:
    return clock.parse_iso(iso).astimezone(UTC)


@pytest.mark.parametrize(("zone", "now", "slot", "first", "local"), [
    # spring forward: 02:30 does not exist; it goes out at 03:30 summer time
    ("Europe/Berlin", SAT_BEFORE_BERLIN_SPRING, "02:30", datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "03:30:00+02:00"),
    ("America/New_York", datetime(2027, 3, 13, 12, tzinfo=UTC), "02:30", datetime(2027, 3, 14, 7, 30, tzinfo=UTC),
     "03:30:00-04:00"),
    # fall back: the repeated wall time posts once, at its first (summer time) occurrence
    ("Europe/Berlin", datetime(2027, 10, 30, 12, tzinfo=UTC), "02:30", datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
     "02:30:00+02:00"),
    ("America/New_York", datetime(2027, 11, 6, 12, tzinfo=UTC), "01:30", datetime(2027, 11, 7, 5, 30, tzinfo=UTC),
     "01:30:00-04:00"),
])
def test_queue_slots_across_daylight_saving_changes(http, zone, now, slot, first, local):
    with clock.freeze(now):
        # Given a pro org in ``zone`` with a queue of one Sunday slot
        org = _org(http, zone=zone)
        queue_id = _queue(http, org, [("sun", slot)])
        # When two posts are queued
        a = _enqueue(http, org, _post(http, org, "one"), queue_id)
        b = _enqueue(http, org, _post(http, org, "two"), queue_id)
        # Then the first takes the DST Sunday at the documented instant, the second the next Sunday, once each
        assert a.status_code == b.status_code == 201, (a.text, b.text)
        assert _z(a.json()["at"]) == first and a.json()["local"].endswith(local)
        assert (_z(b.json()["at"]) - first).days in (6, 7) and _z(b.json()["at"]).astimezone(UTC) > first
        assert b.json()["local"][11:16] == slot
        assert a.json()["post"]["status"] == "scheduled" and _z(a.json()["post"]["scheduled_at"]) == first
        assert [e[0] for e in _entries(http, org, queue_id)] == [a.json()["post"]["post_id"],
                                                                 b.json()["post"]["post_id"]]


def test_reorder_shuffle_and_removal_move_posts_between_slots(http):
    with clock.freeze(SAT_BEFORE_BERLIN_SPRING):
        org = _org(http, zone="Europe/Berlin")
        queue_id = _queue(http, org, [("mon", "09:00"), ("wed", "09:00"), ("fri", "09:00")])
        p1, p2, p3, p4 = (_post(http, org, f"post {i}") for i in range(4))
        slots = [_enqueue(http, org, p, queue_id).json()["at"] for p in (p1, p2, p3, p4)]
        assert [_z(s).astimezone(UTC).isoformat() for s in slots] == [
            "2027-03-29T07:00:00+00:00", "2027-03-31T07:00:00+00:00", "2027-04-02T07:00:00+00:00",
            "2027-04-05T07:00:00+00:00"]  # 09:00 CEST, the week after the change
        url = f"/api/orgs/{org['id']}/queues/{queue_id}"

        # Reorder: the slots stay, the posts move (each rescheduled)
        r = http.post(url + "/reorder", json={"post_ids": [p3, p1, p4, p2]}, headers=org["headers"])
        assert r.status_code == 200, r.text
        assert [e["post_id"] for e in r.json()["entries"]] == [p3, p1, p4, p2]
        assert [_z(_scheduled_at(http, org, p)) for p in (p3, p1, p4, p2)] == [_z(s) for s in slots]
        # A reorder that forgets a post is refused
        bad = http.post(url + "/reorder", json={"post_ids": [p3, p1]}, headers=org["headers"])
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "VALIDATION_001"

        # Removal moves the later ones up; the removed post is a draft again
        r = http.delete(url + f"/posts/{p1}", headers=org["headers"])
        assert r.status_code == 200, r.text
        assert [(e["post_id"], _z(e["at"])) for e in r.json()["entries"]] == [
            (p3, _z(slots[0])), (p4, _z(slots[1])), (p2, _z(slots[2]))]
        assert _z(_scheduled_at(http, org, p2)) == _z(slots[2]) and _scheduled_at(http, org, p1) is None
        got = http.get(f"/api/orgs/{org['id']}/posts/{p1}", headers=org["headers"]).json()
        assert got["status"] == "draft"

        # Shuffle keeps the same posts on the same slots, in some order
        r = http.post(url + "/shuffle", headers=org["headers"])
        assert r.status_code == 200, r.text
        assert sorted(e["post_id"] for e in r.json()["entries"]) == sorted([p2, p3, p4])
        assert [_z(e["at"]) for e in r.json()["entries"]] == [_z(s) for s in slots[:3]]
        for e in r.json()["entries"]:
            assert _z(_scheduled_at(http, org, e["post_id"])) == _z(e["at"])


def test_removal_without_move_up_leaves_the_gap(http):
    with clock.freeze(SAT_BEFORE_BERLIN_SPRING):
        org = _org(http)
        queue_id = _queue(http, org, [("mon", "09:00"), ("tue", "09:00")], move_up=False)
        p1, p2, p3 = (_post(http, org, f"post {i}") for i in range(3))
        at = [_enqueue(http, org, p, queue_id).json()["at"] for p in (p1, p2, p3)]
        r = http.delete(f"/api/orgs/{org['id']}/queues/{queue_id}/posts/{p2}", headers=org["headers"])
        assert r.status_code == 200, r.text
        assert [(e["post_id"], _z(e["at"])) for e in r.json()["entries"]] == [(p1, _z(at[0])), (p3, _z(at[2]))]
        # The freed slot is the next one a new post takes
        p4 = _post(http, org, "post 4")
        assert _z(_enqueue(http, org, p4, queue_id).json()["at"]) == _z(at[1])


def test_pause_holds_posts_in_order_and_resume_lays_them_on_the_next_free_slots(http):
    with clock.freeze(SAT_BEFORE_BERLIN_SPRING):
        org = _org(http)
        queue_id = _queue(http, org, [("mon", "09:00")])
        p1, p2 = _post(http, org, "one"), _post(http, org, "two")
        at = [_enqueue(http, org, p, queue_id).json()["at"] for p in (p1, p2)]
        url = f"/api/orgs/{org['id']}/queues/{queue_id}"
        r = http.post(url + "/pause", headers=org["headers"])
        assert r.status_code == 200 and r.json()["paused"] is True
        assert [e["post_id"] for e in r.json()["entries"]] == [p1, p2]
        assert _scheduled_at(http, org, p1) is None and _scheduled_at(http, org, p2) is None
    with clock.freeze(datetime(2027, 4, 2, 12, tzinfo=UTC)):  # the first Monday slot passed meanwhile
        org["headers"] = auth_headers(login(http, org["owner"]["email"], org["owner"]["password"])["access_token"])
        r = http.post(url + "/resume", headers=org["headers"])
        assert r.status_code == 200, r.text
        assert [(e["post_id"], _z(e["at"])) for e in r.json()["entries"]] == [
            (p1, datetime(2027, 4, 5, 9, tzinfo=UTC)), (p2, datetime(2027, 4, 12, 9, tzinfo=UTC))]
        assert _z(_scheduled_at(http, org, p1)) == _z(at[1]) == datetime(2027, 4, 5, 9, tzinfo=UTC)
        assert _z(_scheduled_at(http, org, p2)) == datetime(2027, 4, 12, 9, tzinfo=UTC)


def test_conflicts_are_refused_never_double_booked(http):
    with clock.freeze(SAT_BEFORE_BERLIN_SPRING):
        org = _org(http)
        queue_id = _queue(http, org, [("mon", "09:00"), ("tue", "09:00")])
        # Given a post scheduled by hand on the connection at the first slot
        manual = _post(http, org, "by hand")
        r = http.post(f"/api/orgs/{org['id']}/posts/{manual}/schedule",
                      json={"scheduled_at": "2027-03-29T09:00:30Z"}, headers=org["headers"])
        assert r.status_code == 200, r.text
        # When a post is queued, it skips the taken slot
        queued = _post(http, org, "queued")
        r = _enqueue(http, org, queued, queue_id)
        assert _z(r.json()["at"]) == datetime(2027, 3, 30, 9, tzinfo=UTC)
        # A reschedule onto another post's time on the same connection is refused with a clear error
        r = http.post(f"/api/orgs/{org['id']}/calendar/posts/{queued}/reschedule",
                      json={"scheduled_at": "2027-03-29T09:00:00Z"}, headers=org["headers"])
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "WORKFLOW_002" and r.json()["error"]["details"]["reason"] == "slot_taken"
        assert _z(_scheduled_at(http, org, queued)) == datetime(2027, 3, 30, 9, tzinfo=UTC)  # unchanged
        # Another connection at that time is free
        other = _post(http, org, "other", connections=[org["linkedin"]])
        r = http.post(f"/api/orgs/{org['id']}/calendar/posts/{other}/reschedule",
                      json={"scheduled_at": "2027-03-29T09:00:00Z"}, headers=org["headers"])
        assert r.status_code == 200, r.text
        # A queued post cannot be queued twice
        assert _enqueue(http, org, queued, queue_id).status_code == 409


def test_pacing_window_refuses_a_reschedule_and_queues_skip_it(http, monkeypatch):
    monkeypatch.setenv("LILY_PUBLISHING_PACING", '{"x": [{"scope": "account", "limit": 2, "window_s": 86400}]}')
    reset_settings()
    try:
        with clock.freeze(SAT_BEFORE_BERLIN_SPRING):
            org = _org(http)
            queue_id = _queue(http, org, [("mon", "09:00"), ("mon", "12:00"), ("mon", "15:00")])
            a, b, c = (_post(http, org, f"post {i}") for i in range(3))
            at = [_enqueue(http, org, p, queue_id).json()["at"] for p in (a, b)]
            assert [_z(x).hour for x in at] == [9, 12]
            # Only 2 per 24 h: the third goes to the next Monday, not to 15:00 the same day
            assert _z(_enqueue(http, org, c, queue_id).json()["at"]) == datetime(2027, 4, 5, 9, tzinfo=UTC)
            d = _post(http, org, "post 3")
            r = http.post(f"/api/orgs/{org['id']}/calendar/posts/{d}/reschedule",
                          json={"scheduled_at": "2027-03-29T18:00:00Z"}, headers=org["headers"])
            assert r.status_code == 409 and r.json()["error"]["details"]["reason"] == "pacing", r.text
    finally:
        monkeypatch.delenv("LILY_PUBLISHING_PACING")
        reset_settings()


def test_posts_per_day_quota_refuses_and_gives_the_slot_back(http):
    with clock.freeze(SAT_BEFORE_BERLIN_SPRING):
        org = _org(http)
        queue_id = _queue(http, org, [("mon", "09:00")])
        post = _post(http, org)
        entitlements.consume(org["id"], "posts_per_day", 25)  # pro: 25 a day, all used
        r = _enqueue(http, org, post, queue_id)
        assert r.status_code == 429 and r.json()["error"]["code"] == "PLAN_002", r.text
        assert _entries(http, org, queue_id) == []
        entitlements.release(org["id"], "posts_per_day", 1)
        assert _z(_enqueue(http, org, post, queue_id).json()["at"]) == datetime(2027, 3, 29, 9, tzinfo=UTC)


def test_queues_need_pro_calendar_does_not(http):
    org = _org(http, plan="starter")
    body = {"name": "q", "connection_ids": [org["x"]], "slots": [{"weekday": "mon", "time": "09:00"}]}
    r = http.post(f"/api/orgs/{org['id']}/queues", json=body, headers=org["headers"])
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "PLAN_001" and r.json()["error"]["details"]["upgrade_to"] == "pro"
    assert http.get(f"/api/orgs/{org['id']}/queues", headers=org["headers"]).status_code == 403
    assert http.get(f"/api/orgs/{org['id']}/calendar", headers=org["headers"]).status_code == 200


def test_bad_queue_input_is_a_4xx(http):
    org = _org(http)
    url = f"/api/orgs/{org['id']}/queues"
    bad_time = {"name": "q", "connection_ids": [org["x"]], "slots": [{"weekday": "mon", "time": "25:00"}]}
    assert http.post(url, json=bad_time, headers=org["headers"]).status_code == 422
    unknown = {"name": "q", "connection_ids": ["soc_nope"], "slots": [{"weekday": "mon", "time": "09:00"}]}
    assert http.post(url, json=unknown, headers=org["headers"]).status_code == 404
    queue_id = _queue(http, org, [("mon", "09:00")])
    post = _post(http, org, connections=[org["linkedin"]])  # the queue serves only the X connection
    r = _enqueue(http, org, post, queue_id)
    assert r.status_code == 422 and r.json()["error"]["details"]["connection_ids"] == [org["linkedin"]]


def test_another_orgs_queue_and_post_are_refused(http):
    mine, theirs = _org(http), _org(http)
    queue_id = _queue(http, theirs, [("mon", "09:00")])
    their_post = _post(http, theirs)
    # Their org's path: not a member (answered as if it did not exist)
    r = http.get(f"/api/orgs/{theirs['id']}/queues/{queue_id}", headers=mine["headers"])
    assert r.status_code == 404 and r.json()["error"]["code"] == "VALIDATION_004"
    # My org's path with their ids: not found, nothing changed
    assert http.get(f"/api/orgs/{mine['id']}/queues/{queue_id}", headers=mine["headers"]).status_code == 404
    my_post = _post(http, mine)
    assert _enqueue(http, mine, my_post, queue_id).status_code == 404
    r = http.post(f"/api/orgs/{mine['id']}/posts/{their_post}/queue", json={"queue_id": queue_id},
                  headers=mine["headers"])
    assert r.status_code == 404
    r = http.post(f"/api/orgs/{mine['id']}/calendar/posts/{their_post}/reschedule",
                  json={"scheduled_at": "2030-01-01T09:00:00Z"}, headers=mine["headers"])
    assert r.status_code == 404
    assert _entries(http, theirs, queue_id) == []


def test_api_keys_need_the_queue_scopes(http):
    org = _org(http)
    reader = create_api_key(http, org["headers"], org["id"], scopes=["posts:read", "posts:write"])
    body = {"name": "q", "connection_ids": [org["x"]], "slots": [{"weekday": "mon", "time": "09:00"}]}
    r = http.post(f"/api/orgs/{org['id']}/queues", json=body, headers=reader["headers"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_003"
    writer = create_api_key(http, org["headers"], org["id"], scopes=["queues:write", "queues:read"])
    assert http.post(f"/api/orgs/{org['id']}/queues", json=body, headers=writer["headers"]).status_code == 201
    assert http.get(f"/api/orgs/{org['id']}/queues", headers=writer["headers"]).status_code == 200
    assert http.get(f"/api/orgs/{org['id']}/calendar", headers=writer["headers"]).status_code == 403


def test_calendar_in_the_orgs_zone_filtered_and_clamped(http):
    with clock.freeze(datetime(2027, 1, 4, 12, tzinfo=UTC)):
        org = _org(http, zone="America/New_York")
        late = _post(http, org, "late evening in New York", connections=[org["x"], org["linkedin"]])
        noon = _post(http, org, "noon", connections=[org["linkedin"]])
        draft = _post(http, org, "never scheduled")
        for post_id, at in ((late, "2027-01-10T03:30:00Z"), (noon, "2027-01-08T17:00:00Z")):
            r = http.post(f"/api/orgs/{org['id']}/posts/{post_id}/schedule", json={"scheduled_at": at},
                          headers=org["headers"])
            assert r.status_code == 200, r.text
        url = f"/api/orgs/{org['id']}/calendar"
        r = http.get(url, params={"from": "2027-01-06", "view": "week"}, headers=org["headers"])
        assert r.status_code == 200, r.text
        cal = r.json()
        assert cal["timezone"] == "America/New_York" and (cal["start"], cal["end"]) == ("2027-01-04", "2027-01-10")
        by_day = {d["date"]: [p["post_id"] for p in d["posts"]] for d in cal["days"]}
        assert len(by_day) == 7 and by_day["2027-01-09"] == [late] and by_day["2027-01-08"] == [noon]
        assert draft not in sum(by_day.values(), [])
        late_out = next(d for d in cal["days"] if d["date"] == "2027-01-09")["posts"][0]
        assert late_out["local"].startswith("2027-01-09T22:30:00-05:00") and late_out["status"] == "scheduled"
        assert sorted(t["platform"] for t in late_out["targets"]) == ["linkedin", "x"]
        # Filters: platform, connection, status
        x_only = http.get(url, params={"from": "2027-01-06", "platform": "x"}, headers=org["headers"]).json()
        assert [p["post_id"] for d in x_only["days"] for p in d["posts"]] == [late]
        assert [t["platform"] for d in x_only["days"] for p in d["posts"] for t in p["targets"]] == ["x"]
        by_conn = http.get(url, params={"from": "2027-01-06", "connection_id": org["linkedin"]},
                           headers=org["headers"]).json()
        assert sorted(p["post_id"] for d in by_conn["days"] for p in d["posts"]) == sorted([late, noon])
        none = http.get(url, params={"from": "2027-01-06", "status": "published"}, headers=org["headers"]).json()
        assert [p for d in none["days"] for p in d["posts"]] == []
        # Day and month views; periods validated and clamped
        day = http.get(url, params={"from": "2027-01-09", "view": "day"}, headers=org["headers"]).json()
        assert [d["date"] for d in day["days"]] == ["2027-01-09"] and day["days"][0]["posts"][0]["post_id"] == late
        month = http.get(url, params={"from": "2027-02-14", "view": "month"}, headers=org["headers"]).json()
        assert (month["start"], month["end"], len(month["days"])) == ("2027-02-01", "2027-02-28", 28)
        long = http.get(url, params={"from": "2027-01-01", "to": "2027-12-31"}, headers=org["headers"]).json()
        assert long["clamped"] is True and len(long["days"]) == 42 and long["end"] == "2027-02-11"
        for params in ({"from": "2027-01-10", "to": "2027-01-01"}, {"from": "yesterday"}, {"view": "year"}):
            bad = http.get(url, params=params, headers=org["headers"])
            assert bad.status_code == 422 and bad.json()["error"]["code"].startswith("VALIDATION"), params


def test_a_post_rescheduled_by_hand_leaves_its_slot_to_the_next_post(http):
    with clock.freeze(SAT_BEFORE_BERLIN_SPRING):
        org = _org(http)
        queue_id = _queue(http, org, [("mon", "09:00")])
        a, b = _post(http, org, "a"), _post(http, org, "b")
        slot = _enqueue(http, org, a, queue_id).json()["at"]
        r = http.post(f"/api/orgs/{org['id']}/calendar/posts/{a}/reschedule",
                      json={"scheduled_at": "2027-03-29T14:00:00"}, headers=org["headers"])  # org zone: UTC
        assert r.status_code == 200 and _z(r.json()["scheduled_at"]) == datetime(2027, 3, 29, 14, tzinfo=UTC)
        assert _entries(http, org, queue_id) == []
        # The freed slot (its entry still stored) is taken over by the next post, and a is not in the queue
        assert _z(_enqueue(http, org, b, queue_id).json()["at"]) == _z(slot)
        assert [e[0] for e in _entries(http, org, queue_id)] == [b]
        cal = http.get(f"/api/orgs/{org['id']}/calendar", params={"from": "2027-03-29", "view": "day"},
                       headers=org["headers"]).json()
        assert [(p["post_id"], p["queue_id"]) for p in cal["days"][0]["posts"]] == [(b, queue_id), (a, None)]
