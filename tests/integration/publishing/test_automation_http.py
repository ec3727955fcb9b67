"""Feeds that post themselves and bulk import over HTTP in local mode (the feeds sandbox behind the SSRF guard,
the imports queue and its worker), with the plan gate and scopes."""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest

from lily.core import clock, ids
from lily.core.config import reset_settings
from lily.local.sandboxes.feeds import BASE_TIME
from lily.social.models import SocialConnection
from tests.support.billing import set_plan
from tests.support.identity import create_api_key, create_org, register_user
from tests.support.sandboxes import reset_between, running_sandboxes


@pytest.fixture(scope="module")
def sandboxes():
    with running_sandboxes(["feeds"]) as started:
        yield started


@pytest.fixture
def feeds(sandboxes, monkeypatch, tmp_path):
    monkeypatch.setenv("LILY_LOCAL_DATA_DIR", str(tmp_path))
    reset_settings()
    with reset_between(sandboxes):
        yield sandboxes["feeds"]
    reset_settings()


def _connection(org_id: str, platform: str) -> str:
    conn_id = ids.new_id("soc")
    now = clock.now()
    SocialConnection(org_id, conn_id, platform=platform, account_id=f"acct-{conn_id}", account_kind="user",
                     account_name="Test account", access_envelope="sealed", grant_id="grant", created_by="usr_test",
                     created_at=now, updated_at=now).save()
    return conn_id


@pytest.fixture
def org(feeds, http):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    set_plan(org_id, "pro")
    return {"id": org_id, "headers": owner["headers"], "x": _connection(org_id, "x"),
            "linkedin": _connection(org_id, "linkedin"), "base": f"/api/orgs/{org_id}"}


def _rss(base: str, items: list[tuple[str, str, str, int]]) -> str:
    """items: (guid, link path, title, hours before BASE_TIME)."""
    body = "".join(f"<item><title>{title}</title><link>{base}{link}</link><guid>{guid}</guid>"
                   f"<description>About {title}</description>"
                   f"<pubDate>{format_datetime(BASE_TIME - timedelta(hours=h))}</pubDate></item>"
                   for guid, link, title, h in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>{body}</channel></rss>'


def _serve(feeds, name: str, xml: str) -> str:
    base = feeds.base_url
    assert httpx.post(f"{base}/_sandbox/feeds/{name}", json={"body": xml}).status_code == 200
    return f"{base}/feeds/{name}"


def _posts(http, org) -> list[dict]:
    r = http.get(f"{org['base']}/posts?limit=100", headers=org["headers"])
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_a_feed_item_is_posted_once_when_the_feed_reorders_redates_or_repeats_it(http, org, feeds):
    base = feeds.base_url
    # Given a blog feed with two items when it is added (they are its archive: marked seen, not posted)
    url = _serve(feeds, "blog.rss", _rss(base, [("g-a", "/a", "Alpha", 2), ("g-b", "/b", "Beta", 1)]))
    r = http.post(f"{org['base']}/feeds", headers=org["headers"], json={
        "url": url, "connection_ids": [org["x"]], "template": "New: {title} {link}", "exclude": ["sponsored"]})
    assert r.status_code == 201, r.text
    feed_id = r.json()["feed_id"]
    first = http.post(f"{org['base']}/feeds/{feed_id}/poll", headers=org["headers"]).json()
    assert first["entries"] == 2 and first["created"] == [] and first["seen"] == 2

    # When the feed adds Gamma, reorders, re-dates Beta, repeats Alpha, re-publishes Alpha's link under a new
    # GUID, and adds a sponsored item
    _serve(feeds, "blog.rss", _rss(base, [
        ("g-b", "/b", "Beta", 0), ("g-c", "/c", "Gamma", 0), ("g-a", "/a", "Alpha", 2), ("g-a", "/a", "Alpha", 2),
        ("g-a2", "/a", "Alpha again", 0), ("g-s", "/s", "A sponsored post", 0)]))
    second = http.post(f"{org['base']}/feeds/{feed_id}/poll", headers=org["headers"]).json()
    third = http.post(f"{org['base']}/feeds/{feed_id}/poll", headers=org["headers"]).json()

    # Then Gamma alone became a post (a draft), once; the sponsored one was filtered
    assert len(second["created"]) == 1 and second["filtered"] == 1, second
    assert third["created"] == []
    posts = _posts(http, org)
    assert [p["text"] for p in posts] == [f"New: Gamma {base}/c"]
    assert posts[0]["status"] == "draft"
    got = http.get(f"{org['base']}/feeds/{feed_id}", headers=org["headers"]).json()
    assert got["created_total"] == 1 and got["last_error"] is None


def test_a_feed_in_queue_mode_schedules_into_the_queue_within_its_daily_cap(http, org, feeds):
    base = feeds.base_url
    url = _serve(feeds, "news.rss", _rss(base, []))
    q = http.post(f"{org['base']}/queues", headers=org["headers"], json={
        "name": "daily", "connection_ids": [org["linkedin"]],
        "slots": [{"weekday": d, "time": "10:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]})
    assert q.status_code == 201, q.text
    r = http.post(f"{org['base']}/feeds", headers=org["headers"], json={
        "url": url, "connection_ids": [org["linkedin"]], "mode": "queue", "queue_id": q.json()["queue_id"],
        "daily_cap": 2})
    assert r.status_code == 201, r.text
    feed_id = r.json()["feed_id"]
    http.post(f"{org['base']}/feeds/{feed_id}/poll", headers=org["headers"])  # empty baseline
    _serve(feeds, "news.rss", _rss(base, [(f"n{i}", f"/n{i}", f"News {i}", i) for i in range(3)]))
    out = http.post(f"{org['base']}/feeds/{feed_id}/poll", headers=org["headers"]).json()
    assert len(out["created"]) == 2 and out["capped"] == 1
    statuses = sorted(p["status"] for p in _posts(http, org))
    assert statuses == ["scheduled", "scheduled"]
    entries = http.get(f"/api/orgs/{org['id']}/queues/{q.json()['queue_id']}", headers=org["headers"]).json()
    assert len(entries["entries"]) == 2


@pytest.mark.parametrize("url", ["http://10.0.0.7/feed.xml", "http://169.254.169.254/latest/meta-data/",
                                 "http://127.0.0.1:9/feed.xml", "file:///etc/passwd"])
def test_a_private_address_feed_is_refused(http, org, url):
    r = http.post(f"{org['base']}/feeds", headers=org["headers"], json={"url": url, "connection_ids": [org["x"]]})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "VALIDATION_001" and r.json()["error"]["details"]["reason"]
    assert http.get(f"{org['base']}/feeds", headers=org["headers"]).json()["items"] == []


def _csv(org, rows: list[list[str]]) -> str:
    lines = ["connection_id,at,queue_id,text,media_urls,first_comment"]
    lines += [",".join(r) for r in rows]
    return "\n".join(lines)


def _drain_imports(local_suite) -> None:
    poller = next(p for p in local_suite.pollers if p.spec.name == "imports_worker")
    for _ in range(10):
        if not poller.poll_once(wait_s=0):
            break


def test_bulk_import_reports_bad_rows_creates_none_of_them_and_a_reupload_creates_nothing(http, org,
                                                                                        local_suite):
    soon = clock.iso(clock.now() + timedelta(days=2))
    content = _csv(org, [
        [org["x"], soon, "", "Good one on X", "", "first!"],
        ["soc_nope", soon, "", "Unknown connection", "", ""],
        [org["x"], "2001-01-01T09:00:00Z", "", "In the past", "", ""],
        [org["x"], soon, "", "x" * 300, "", ""],
        [org["linkedin"], "", "", "A LinkedIn draft", "", ""],
        [org["linkedin"], "tomorrow", "", "Bad time", "", ""],
        [org["linkedin"], soon, "", "With a private medium", "https://127.0.0.1:9/image.png", ""],
    ])
    r = http.post(f"{org['base']}/imports", headers=org["headers"], json={"format": "csv", "content": content})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["total"] == 7 and body["valid"] == 3 and body["invalid"] == 4
    assert sorted(e["row"] for e in body["errors"]) == [2, 3, 4, 6]
    codes = {e["row"]: {p["code"] for p in e["problems"]} for e in body["errors"]}
    assert codes[2] == {"not_found"} and codes[3] == {"past"} and "format" in codes[6]

    _drain_imports(local_suite)
    done = http.get(f"{org['base']}/imports/{body['import_id']}", headers=org["headers"]).json()
    assert done["status"] == "done" and done["processed"] == 3 and done["created"] == 2 and done["failed"] == 1
    assert done["row_failures"][0]["row"] == 7
    assert done["row_failures"][0]["problems"][0]["code"] == "media_fetch"
    texts = sorted((p["text"], p["status"]) for p in _posts(http, org))
    assert texts == [("A LinkedIn draft", "draft"), ("Good one on X", "scheduled")]

    again = http.post(f"{org['base']}/imports", headers=org["headers"], json={"format": "csv", "content": content})
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["import_id"] == body["import_id"]
    _drain_imports(local_suite)
    assert len(_posts(http, org)) == 2


def test_bulk_import_json_all_or_nothing_and_limits(http, org, local_suite):
    soon = clock.iso(clock.now() + timedelta(days=1))
    rows = [{"connection_id": org["x"], "at": soon, "text": "fine"}, {"connection_id": org["x"], "text": ""}]
    r = http.post(f"{org['base']}/imports", headers=org["headers"],
                  json={"format": "json", "content": json.dumps(rows), "all_or_nothing": True})
    assert r.status_code == 202 and r.json()["status"] == "rejected" and r.json()["invalid"] == 1
    _drain_imports(local_suite)
    assert _posts(http, org) == []
    too_many = json.dumps([{"connection_id": org["x"], "text": f"t{i}"} for i in range(1001)])
    r = http.post(f"{org['base']}/imports", headers=org["headers"], json={"format": "json", "content": too_many})
    assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_001"
    r = http.post(f"{org['base']}/imports", headers=org["headers"], json={"format": "json", "content": "{nope"})
    assert r.status_code == 422


def test_automation_needs_pro_and_its_scopes(http, feeds):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    set_plan(org_id, "starter")
    conn = _connection(org_id, "x")
    body = {"name": "r", "text": "t", "cron": "0 9 * * *", "count": 2, "connection_ids": [conn]}
    r = http.post(f"/api/orgs/{org_id}/recurring", headers=owner["headers"], json=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "PLAN_001"
    set_plan(org_id, "pro")
    reader = create_api_key(http, owner["headers"], org_id, scopes=["posts:read"])
    r = http.post(f"/api/orgs/{org_id}/recurring", headers=reader["headers"], json=body)
    assert r.status_code == 403
    r = http.post(f"/api/orgs/{org_id}/recurring", headers=owner["headers"], json=body)
    assert r.status_code == 201, r.text
    rule_id = r.json()["rule_id"]
    other = register_user(http)
    other_org = create_org(http, other["headers"])
    set_plan(other_org, "pro")
    assert http.get(f"/api/orgs/{other_org}/recurring/{rule_id}", headers=other["headers"]).status_code == 404
    assert http.get(f"/api/orgs/{org_id}/recurring/{rule_id}", headers=other["headers"]).status_code in (403, 404)
    listed = http.get(f"/api/orgs/{org_id}/recurring", headers=owner["headers"]).json()["items"]
    assert [i["rule_id"] for i in listed] == [rule_id]
    assert http.delete(f"/api/orgs/{org_id}/recurring/{rule_id}", headers=owner["headers"]).status_code == 204


def test_short_links_carry_utm_redirect_only_to_what_lily_made_and_count_without_ips(http, org):
    from lily.publishing.models import LinkClickDay

    r = http.put(f"{org['base']}/links/settings", headers=org["headers"], json={
        "utm": {"default": {"utm_medium": "social", "utm_campaign": "always"}, "x": {"utm_source": "twitter"}},
        "redirect_status": 301})
    assert r.status_code == 200, r.text
    r = http.post(f"{org['base']}/links/shorten-text", headers=org["headers"], json={
        "text": "Read https://blog.example/post?id=7. And https://shop.example/", "platform": "x",
        "campaign": "launch"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert len(out["links"]) == 2 and "blog.example" not in out["text"] and out["text"].startswith("Read http")
    first = out["links"][0]
    assert first["url"] == ("https://blog.example/post?id=7&utm_source=twitter&utm_medium=social"
                            "&utm_campaign=launch")
    code = first["code"]

    # the redirect: the stored target only, whatever the request adds
    for _ in range(3):
        follow = http.get(f"/l/{code}?to=https://evil.example/", follow_redirects=False,
                          headers={"X-Forwarded-For": "198.51.100.23"})
        assert follow.status_code == 301 and follow.headers["location"] == first["url"]
    assert http.get("/l/zzzzzzzz", follow_redirects=False).status_code == 404
    assert http.get("/l/not-a-code", follow_redirects=False).status_code == 404

    stats = http.get(f"{org['base']}/links/{code}", headers=org["headers"]).json()
    assert stats["clicks"] == 3 and stats["days"][0]["clicks"] == 3 and stats["days"][0]["visitors"] >= 1
    stored = [d.attribute_values for d in LinkClickDay.query(code)]
    assert "198.51.100.23" not in repr(stored) and "testclient" not in repr(stored)
    # another org cannot read it
    other = register_user(http)
    other_org = create_org(http, other["headers"])
    set_plan(other_org, "pro")
    assert http.get(f"/api/orgs/{other_org}/links/{code}", headers=other["headers"]).status_code == 404
