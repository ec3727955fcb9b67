"""The approval workflow over HTTP, through the dispatcher and the publisher: an editor's post waits; rejected
never publishes; approved publishes exactly once; the publisher refuses an unapproved post even when its target's
state was forced in the table."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lily.core import clock, ids
from lily.publishing import dispatcher, messages
from lily.publishing.messages import PublishMessage
from lily.publishing.models import Post, Target
from lily.publishing.ports import Connection
from lily.social.models import SocialConnection
from tests.integration.publishing.conftest import MemoryQueue
from tests.support.billing import set_plan
from tests.support.events import emitted
from tests.support.fake_platforms import FakePlatforms
from tests.support.identity import add_member, create_api_key, create_org, outbox, register_user


@pytest.fixture(scope="session", autouse=True)
def faithful_emulator(emulator):
    from lily.local.emulator import prepare

    prepare()
    return emulator


@pytest.fixture
def fake(lily_env):
    return FakePlatforms()


@pytest.fixture
def mq(lily_env, fake, monkeypatch):
    q = MemoryQueue(fake)
    monkeypatch.setattr("lily.publishing.messages.send", q.send)
    monkeypatch.setattr("lily.publishing.messages.send_all", lambda batch: [q.send(m, at) for m, at in batch])
    return q


def _connection(org_id: str, fake: FakePlatforms) -> str:
    conn_id = ids.new_id("soc")
    now = clock.now()
    SocialConnection(org_id, conn_id, platform="x", account_id=f"acct-{conn_id}", account_kind="user",
                     account_name="Test account", access_envelope="sealed", grant_id="grant", created_by="usr_test",
                     created_at=now, updated_at=now).save()
    fake.connections[conn_id] = Connection(connection_id=conn_id, org_id=org_id, platform="x", status="active",
                                           account_id=f"acct-{conn_id}")
    return conn_id


@pytest.fixture
def org(http, fake):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    set_plan(org_id, "pro")
    editor = add_member(http, owner["headers"], org_id, "editor")
    r = http.put(f"/api/orgs/{org_id}/approvals/settings", json={"roles": ["editor"], "autopilot": True},
                 headers=owner["headers"])
    assert r.status_code == 200 and r.json()["enabled"], r.text
    return {"id": org_id, "owner": owner, "editor": editor, "x": _connection(org_id, fake)}


def _submit(http, org, text="Launch day", minutes=30):
    r = http.post(f"/api/orgs/{org['id']}/posts", json={"text": text, "targets": [{"connection_id": org["x"]}]},
                  headers=org["editor"]["headers"])
    assert r.status_code == 201 and r.json()["approval"] == "required", r.text
    post_id = r.json()["post_id"]
    at = clock.iso(clock.now() + timedelta(minutes=minutes))
    r = http.post(f"/api/orgs/{org['id']}/posts/{post_id}/schedule", json={"scheduled_at": at},
                  headers=org["editor"]["headers"])
    assert r.status_code == 200, r.text
    return post_id, r.json()


def _queue(http, org, headers=None) -> list[dict]:
    r = http.get(f"/api/orgs/{org['id']}/approvals", headers=headers or org["owner"]["headers"])
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _decide(http, org, request_id, body, headers=None):
    return http.post(f"/api/orgs/{org['id']}/approvals/{request_id}/decision", json=body,
                     headers=headers or org["owner"]["headers"])


def _run_until(mq, minutes: int) -> list[str]:
    out = []
    for _ in range(minutes + 2):
        clock.advance(60)
        dispatcher.tick()
        out += mq.deliver()
    return out


def test_an_editors_post_waits_and_approved_publishes_exactly_once(http, org, fake, mq):
    with clock.freeze(clock.now_ts()):
        # Given an org whose editors need approval, when an editor schedules a post
        post_id, post = _submit(http, org, minutes=3)
        # Then it waits: still a draft, pending, nothing scheduled, no quota used, in the queue
        assert post["status"] == "draft" and post["approval"] == "pending" and post["approval_at"]
        assert {t["state"] for t in post["targets"]} == {"draft"}
        queue = _queue(http, org)
        assert [q["subject_id"] for q in queue] == [post_id] and queue[0]["origin"] == "user"
        assert any("waits for your approval" in m["subject"] for m in outbox(http, org["owner"]["email"]))
        # and API users subscribed to post.needs_approval hear of it, once
        [event] = [e for e in emitted() if e["type"] == "post.needs_approval"]
        assert event["org_id"] == org["id"] and event["data"]["post_id"] == post_id
        assert event["data"]["request_id"] == queue[0]["request_id"] and event["data"]["origin"] == "user"
        # and nothing publishes while it waits
        assert _run_until(mq, 4) == [] and fake.publish_calls == 0
        # (the time asked for passed: approving needs a new instant)
        late = _decide(http, org, queue[0]["request_id"], {"decision": "approve"})
        assert late.status_code == 422 and late.json()["error"]["code"] == "VALIDATION_002", late.text
        assert _queue(http, org)[0]["status"] == "pending"
        # When the owner approves with edited text and a new instant
        at = clock.iso(clock.now() + timedelta(minutes=2))
        r = _decide(http, org, queue[0]["request_id"],
                    {"decision": "approve", "text": "Launch day, edited", "scheduled_at": at})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["request"]["status"] == "approved" and body["request"]["edited"] is True
        assert body["subject"]["status"] == "scheduled" and body["subject"]["text"] == "Launch day, edited"
        assert _queue(http, org) == []
        # a second decision is refused
        again = _decide(http, org, queue[0]["request_id"], {"decision": "reject", "comment": "no"})
        assert again.status_code == 409, again.text
        # Then it publishes exactly once, with the approved text
        outcomes = _run_until(mq, 3)
        assert outcomes.count("published") == 1
        assert fake.publish_calls == 1 and [p.text for p in fake.posts] == ["Launch day, edited"]
        assert http.get(f"/api/orgs/{org['id']}/posts/{post_id}",
                        headers=org["owner"]["headers"]).json()["status"] == "published"
        # and the decision is audited and e-mailed to the author
        audit = http.get(f"/api/orgs/{org['id']}/audit", headers=org["owner"]["headers"]).json()["items"]
        assert {"approval.request", "approval.approved"} <= {e["action"] for e in audit}
        assert any("was approved" in m["subject"] for m in outbox(http, org["editor"]["email"]))


def test_rejected_never_publishes_even_when_forced(http, org, fake, mq):
    with clock.freeze(clock.now_ts()):
        post_id, _ = _submit(http, org, minutes=5)
        request_id = _queue(http, org)[0]["request_id"]
        # A rejection needs a comment
        r = _decide(http, org, request_id, {"decision": "reject"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_001", r.text
        r = _decide(http, org, request_id, {"decision": "reject", "comment": "off brand"})
        assert r.status_code == 200 and r.json()["subject"]["approval"] == "rejected", r.text
        assert any("was rejected" in m["subject"] and "off brand" in m["text"]
                   for m in outbox(http, org["editor"]["email"]))
        audit = http.get(f"/api/orgs/{org['id']}/audit", headers=org["owner"]["headers"]).json()["items"]
        rejected = [e for e in audit if e["action"] == "approval.rejected"]
        assert rejected and rejected[0]["details"]["comment"] == "off brand"
        # Even forced into the publish queue, it never goes out
        assert _force_and_publish(mq, org["id"], post_id) == ["failed"]
        assert fake.publish_calls == 0
        t = next(iter(Target.query(post_id)))
        assert t.state == "failed" and "approv" in t.last_error["message"]


def _force_and_publish(mq, org_id: str, post_id: str) -> list[str]:
    """Move every target to ``queued`` in the table, as a bug or an operator could, and hand it to the publisher."""
    for t in Target.query(post_id):
        dispatch = ids.new_id("dsp")
        t.update(actions=[Target.state.set("queued"), Target.dispatch_id.set(dispatch),
                          Target.scheduled_at.set(clock.now())])
        messages.send(PublishMessage(org_id=org_id, post_id=post_id, target_id=t.target_id, dispatch_id=dispatch))
    return mq.deliver()


def test_the_publisher_refuses_an_unapproved_post_whose_state_was_forced(http, org, fake, mq):
    with clock.freeze(clock.now_ts()):
        # An editor's post that was never submitted: the table says "queued", the post says approval required
        r = http.post(f"/api/orgs/{org['id']}/posts", json={"text": "Sneaky", "targets": [{"connection_id": org["x"]}]},
                      headers=org["editor"]["headers"])
        post_id = r.json()["post_id"]
        assert Post.get(org["id"], post_id).approval == "required"
        assert _force_and_publish(mq, org["id"], post_id) == ["failed"]
        # and a pending one too
        pending_id, _ = _submit(http, org, text="Waiting")
        assert _force_and_publish(mq, org["id"], pending_id) == ["failed"]
        assert fake.publish_calls == 0 and fake.posts == []


def test_owners_publish_directly_and_an_approver_scheduling_a_waiting_post_approves_it(http, org, fake, mq):
    with clock.freeze(clock.now_ts()):
        r = http.post(f"/api/orgs/{org['id']}/posts", json={"text": "Owner", "targets": [{"connection_id": org["x"]}]},
                      headers=org["owner"]["headers"])
        assert r.status_code == 201 and r.json()["approval"] is None
        post_id, _ = _submit(http, org, text="Editor's")
        at = clock.iso(clock.now() + timedelta(minutes=5))
        r = http.post(f"/api/orgs/{org['id']}/posts/{post_id}/schedule", json={"scheduled_at": at},
                      headers=org["owner"]["headers"])
        assert r.status_code == 200 and r.json()["status"] == "scheduled" and r.json()["approval"] == "approved"
        assert _queue(http, org) == []
        assert _run_until(mq, 5).count("published") == 1 and fake.publish_calls == 1


def test_editors_cannot_decide_keys_need_scopes_and_other_orgs_see_nothing(http, org):
    with clock.freeze(clock.now_ts()):
        _submit(http, org)
        request_id = _queue(http, org)[0]["request_id"]
        r = _decide(http, org, request_id, {"decision": "approve"}, headers=org["editor"]["headers"])
        assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_003", r.text
        key = create_api_key(http, org["owner"]["headers"], org["id"], scopes=["posts:read"], role="admin")
        r = http.get(f"/api/orgs/{org['id']}/approvals", headers=key["headers"])
        assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_003"
        reader = create_api_key(http, org["owner"]["headers"], org["id"], scopes=["approvals:read"], role="admin")
        assert len(_queue(http, org, reader["headers"])) == 1
        r = _decide(http, org, request_id, {"decision": "approve"}, headers=reader["headers"])
        assert r.status_code == 403
        stranger = register_user(http)
        other = create_org(http, stranger["headers"])
        r = http.get(f"/api/orgs/{org['id']}/approvals", headers=stranger["headers"])
        assert r.status_code == 404
        r = http.get(f"/api/orgs/{other}/approvals/{request_id}", headers=stranger["headers"])
        assert r.status_code == 404 and r.json()["error"]["code"] == "VALIDATION_004"
        r = _decide(http, org, request_id, {"decision": "maybe"})
        assert r.status_code == 422


def test_a_reschedule_from_the_calendar_keeps_to_the_approval_policy(http, org, fake, mq):
    """An editor who must wait cannot publish by moving a draft on the calendar: it is submitted for approval at
    the new time, and nothing goes out until an approver approves it; an approved post moves without a new round."""
    with clock.freeze(clock.now_ts()):
        r = http.post(f"/api/orgs/{org['id']}/posts", json={"text": "Moved on the calendar",
                                                            "targets": [{"connection_id": org["x"]}]},
                      headers=org["editor"]["headers"])
        assert r.status_code == 201, r.text
        post_id = r.json()["post_id"]
        at = clock.iso(clock.now() + timedelta(minutes=20))
        r = http.post(f"/api/orgs/{org['id']}/calendar/posts/{post_id}/reschedule", json={"scheduled_at": at},
                      headers=org["editor"]["headers"])
        assert r.status_code == 200, r.text
        assert r.json()["approval"] == "pending" and r.json()["status"] == "draft", r.text
        assert _run_until(mq, 5) == [] and fake.publish_calls == 0
        [request] = [q for q in _queue(http, org) if q["subject_id"] == post_id]
        r = _decide(http, org, request["request_id"], {"decision": "approve"})
        assert r.status_code == 200 and r.json()["subject"]["status"] == "scheduled", r.text
        later = clock.iso(clock.now() + timedelta(minutes=30))
        r = http.post(f"/api/orgs/{org['id']}/calendar/posts/{post_id}/reschedule", json={"scheduled_at": later},
                      headers=org["editor"]["headers"])
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "scheduled" and r.json()["approval"] == "approved", r.text
        assert _run_until(mq, 31).count("published") == 1 and fake.publish_calls == 1
