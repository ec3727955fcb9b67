"""A feed in approval mode over HTTP: each new item becomes a post waiting in the org's approval queue
(``GET .../approvals``, origin ``feed``); approved, it is published exactly once through the dispatcher and the
publisher; rejected, never; a repeated poll asks for nothing twice."""

from __future__ import annotations

from datetime import timedelta

from lily.core import clock
from lily.publishing import dispatcher
from lily.publishing.models import Post
from lily.publishing.ports import Connection
from tests.integration.publishing.test_automation_http import _rss, _serve, feeds, sandboxes  # noqa: F401
from tests.integration.publishing.test_queues_http import _connection
from tests.support.billing import set_plan
from tests.support.identity import auth_headers, create_org, login, register_user


def _approvals(http, org) -> list[dict]:
    r = http.get(f"/api/orgs/{org['id']}/approvals", headers=org["headers"])
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _run(mq, minutes: int) -> list[str]:
    out = []
    for _ in range(minutes):
        clock.advance(60)
        dispatcher.tick()
        out += mq.deliver()
    return out


def test_feed_items_wait_for_approval_approved_publishes_once_rejected_never(http, feeds, fake, mq):  # noqa: F811
    with clock.freeze(clock.now_ts()):
        owner = register_user(http)
        org_id = create_org(http, owner["headers"])
        set_plan(org_id, "pro")
        conn = _connection(org_id, "x")
        fake.connections[conn] = Connection(connection_id=conn, org_id=org_id, platform="x", status="active",
                                            account_id=f"acct-{conn}")
        org = {"id": org_id, "headers": owner["headers"]}
        base = feeds.base_url
        # Given a feed in approval mode whose two items are posted (backfill 2), asked for 10 minutes after a poll
        url = _serve(feeds, "approve.rss", _rss(base, [("g-1", "/one", "First", 2), ("g-2", "/two", "Second", 1)]))
        r = http.post(f"/api/orgs/{org_id}/feeds", headers=org["headers"], json={
            "url": url, "connection_ids": [conn], "template": "{title} {link}", "mode": "approval",
            "approval_lead_minutes": 10, "backfill": 2})
        assert r.status_code == 201, r.text
        feed = r.json()
        assert feed["mode"] == "approval" and feed["approval_lead_minutes"] == 10

        # When it is polled (twice: the second asks for nothing new)
        r = http.post(f"/api/orgs/{org_id}/feeds/{feed['feed_id']}/poll", headers=org["headers"])
        assert r.status_code == 200, r.text
        made = r.json()["created"]
        again = http.post(f"/api/orgs/{org_id}/feeds/{feed['feed_id']}/poll", headers=org["headers"]).json()
        assert len(made) == 2 and again["created"] == []

        # Then both posts wait in the approval queue (origin feed), drafts, nothing published meanwhile
        queue = _approvals(http, org)
        assert sorted(q["subject_id"] for q in queue) == sorted(made) and {q["origin"] for q in queue} == {"feed"}
        posts = {p: Post.get(org_id, p) for p in made}
        assert {(p.status, p.approval) for p in posts.values()} == {("draft", "pending")}
        assert all(p.approval_at == clock.now() + timedelta(minutes=10) for p in posts.values())
        assert _run(mq, 3) == [] and fake.publish_calls == 0

        # When the owner approves the first and rejects the second
        by_text = {posts[q["subject_id"]].text.split()[0]: q for q in queue}
        ok = http.post(f"/api/orgs/{org_id}/approvals/{by_text['First']['request_id']}/decision",
                       headers=org["headers"], json={"decision": "approve"})
        assert ok.status_code == 200 and ok.json()["subject"]["status"] == "scheduled", ok.text
        no = http.post(f"/api/orgs/{org_id}/approvals/{by_text['Second']['request_id']}/decision",
                       headers=org["headers"], json={"decision": "reject", "comment": "not for X"})
        assert no.status_code == 200 and no.json()["subject"]["approval"] == "rejected", no.text
        assert _approvals(http, org) == []

        # Then the approved one is published exactly once, at the instant asked for; the rejected one never
        outcomes = _run(mq, 30)
        assert outcomes.count("published") == 1 and fake.publish_calls == 1
        assert [p.text for p in fake.posts] == [posts[by_text["First"]["subject_id"]].text]
        assert Post.get(org_id, by_text["Second"]["subject_id"]).status == "draft"
        # and a later poll of the unchanged feed makes nothing more (a fresh session: the first one expired)
        org["headers"] = auth_headers(login(http, owner["email"], owner["password"])["access_token"])
        assert http.post(f"/api/orgs/{org_id}/feeds/{feed['feed_id']}/poll",
                         headers=org["headers"]).json()["created"] == []
        assert _run(mq, 5) == [] and fake.publish_calls == 1


def test_approval_mode_input_is_checked(http, feeds):  # noqa: F811
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    set_plan(org_id, "pro")
    conn = _connection(org_id, "x")
    url = _serve(feeds, "checked.rss", _rss(feeds.base_url, [("g", "/g", "G", 1)]))
    for bad in ({"approval_lead_minutes": 1}, {"approval_lead_minutes": 10**6}, {"mode": "approve"}):
        body = {"url": url, "connection_ids": [conn], "mode": "approval"} | bad
        r = http.post(f"/api/orgs/{org_id}/feeds", headers=owner["headers"], json=body)
        assert r.status_code == 422 and r.json()["error"]["code"].startswith("VALIDATION"), (bad, r.text)
