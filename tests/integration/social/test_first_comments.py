"""A post's first comment is posted after the post on each platform (X: a self-reply; Facebook and Instagram: the
comments edge; LinkedIn: socialActions comments), through the publisher's hook and the first_comments worker, with
its own exactly-once state on the target; a refused comment leaves the post published, visible on the target and
in a notice; a transient failure is retried; a worker dying mid-call still comments once."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import httpx
import pytest

from lily import composition
from lily.core import clock, queues
from lily.core.aws import client
from lily.publishing import first_comments
from lily.publishing.first_comment_messages import FirstCommentMessage
from lily.publishing.models import Target
from lily.publishing.settings import publishing_settings
from tests.integration.publishing.helpers import run_publisher, tick
from tests.integration.social.conftest import connect, set_plan
from tests.support.identity import create_org, register_user

FIRST = "Recipe in the link below, and thanks for reading!"


@pytest.fixture
def owner(http, sandboxes):
    user = register_user(http)
    org_id = create_org(http, user["headers"])
    set_plan(org_id, "pro")
    return {**user, "org_id": org_id}


def _image(http, owner) -> str:
    r = http.post(f"/api/orgs/{owner['org_id']}/media/uploads", headers=owner["headers"],
                  json={"filename": "bread.jpg", "content_type": "image/jpeg", "size": 1000,
                        "platforms": ["instagram"]})
    assert r.status_code == 201, r.text
    upload = r.json()
    sent = httpx.post(upload["url"], data=upload["fields"],
                      files={"file": ("bread.jpg", b"\xff\xd8\xff\xe0" + b"0" * 996, "image/jpeg")})
    assert sent.status_code in (200, 201, 204), sent.text
    return upload["media_id"]


def publish(http, owner, connection_id: str, text: str, first: str | None, media: list[str] | None = None):
    """Create the post with its first comment, schedule it, let its second come: (post id, publisher outcomes)."""
    org, headers = owner["org_id"], owner["headers"]
    r = http.post(f"/api/orgs/{org}/posts", headers=headers,
                  json={"text": text, "first_comment": first, "media_ids": media or [],
                        "targets": [{"connection_id": connection_id}]})
    assert r.status_code == 201, r.text
    post_id = r.json()["post_id"]
    at = datetime.fromtimestamp(int(clock.now_ts()) + 90, tz=UTC)
    r = http.post(f"/api/orgs/{org}/posts/{post_id}/schedule", headers=headers,
                  json={"scheduled_at": at.isoformat(), "timezone": "UTC"})
    assert r.status_code == 200, r.text
    clock.advance(at.timestamp() - clock.now_ts())
    assert tick()["dispatched"] == 1
    return post_id, run_publisher(composition.publishing_ports().gateway)


def comment_messages() -> list[FirstCommentMessage]:
    """Take every visible first_comments message off the queue."""
    sqs, url, out = client("sqs"), queues.queue_url("first_comments"), []
    for _ in range(10):
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            break
        for m in batch:
            out.append(FirstCommentMessage.model_validate(json.loads(m["Body"])))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def run_comments(gateway=None) -> list[str]:
    gateway = gateway or composition.publishing_ports().gateway
    return [first_comments.process(m, gateway) for m in comment_messages()]


def _post(http, owner, post_id: str) -> dict:
    r = http.get(f"/api/orgs/{owner['org_id']}/posts/{post_id}", headers=owner["headers"])
    assert r.status_code == 200, r.text
    return r.json()


def _comments_at_platform(sandboxes, platform: str, platform_post_id: str) -> list[dict]:
    if platform == "x":
        return [p for p in sandboxes["x"].state.posts.values()
                if (p.get("reply") or {}).get("in_reply_to_tweet_id") == platform_post_id]
    if platform in ("facebook", "instagram"):
        return [c for c in sandboxes["meta"].state.comments.values() if c["on"] == platform_post_id]
    return [c for c in sandboxes["linkedin"].state.comments.values() if c["thread"] == platform_post_id]


@pytest.mark.parametrize("platform,kind", [("x", "user"), ("facebook", "page"),
                                           ("instagram", "instagram_business"), ("linkedin", "organization")])
def test_the_first_comment_is_posted_after_the_post_on_each_platform(platform, kind, http, owner, local_suite,
                                                                     sandboxes):
    connected = connect(http, owner["headers"], owner["org_id"], platform)
    conn = next(c for c in connected["connections"] if c["account_kind"] == kind)
    media = [_image(http, owner)] if platform == "instagram" else None
    # When a post with a first comment is published
    post_id, outcomes = publish(http, owner, conn["connection_id"], f"Fresh sourdough on {platform}", FIRST, media)
    assert outcomes == ["published"]
    target = _post(http, owner, post_id)["targets"][0]
    assert target["first_comment_status"]["state"] == "queued"
    # And the first_comments worker runs
    assert run_comments() == ["sent"]
    # Then the platform holds one comment under the post, by the account
    post = _post(http, owner, post_id)
    target = post["targets"][0]
    assert post["status"] == "published" and target["state"] == "published"
    status = target["first_comment_status"]
    assert status["state"] == "sent" and status["attempts"] == 1 and status["platform_comment_id"]
    [made] = _comments_at_platform(sandboxes, platform, target["platform_post_id"])
    text = made.get("text") if platform == "x" else (made["message"]["text"] if platform == "linkedin"
                                                      else made["message"])
    assert text == FIRST
    if platform == "linkedin":
        assert made["actor"] == conn["account_id"] and made["commentUrn"] == status["platform_comment_id"]
    elif platform != "x":
        assert made["from"]["id"] == conn["account_id"] and made["id"] == status["platform_comment_id"]
    else:
        assert made["id"] == status["platform_comment_id"]
    # And a redelivered message posts nothing more
    msg = FirstCommentMessage(org_id=owner["org_id"], post_id=post_id, target_id=target["target_id"])
    assert first_comments.process(msg, composition.publishing_ports().gateway) == "ignored"
    assert len(_comments_at_platform(sandboxes, platform, target["platform_post_id"])) == 1


def test_a_post_without_a_first_comment_queues_none(http, owner, local_suite, sandboxes):
    connected = connect(http, owner["headers"], owner["org_id"], "x")
    post_id, outcomes = publish(http, owner, connected["connections"][0]["connection_id"], "Just the post", None)
    assert outcomes == ["published"]
    assert _post(http, owner, post_id)["targets"][0]["first_comment_status"] is None
    assert comment_messages() == []


def test_a_refused_first_comment_leaves_the_post_published_and_says_so(http, owner, local_suite, sandboxes):
    connected = connect(http, owner["headers"], owner["org_id"], "x")
    conn = connected["connections"][0]
    # Given a first comment X refuses (the same text as the post: X's duplicate-content rule)
    post_id, outcomes = publish(http, owner, conn["connection_id"], "Same words twice", "Same words twice")
    assert outcomes == ["published"]
    assert run_comments() == ["failed"]
    # Then the post stays published, and the comment's failure is on its target
    post = _post(http, owner, post_id)
    target = post["targets"][0]
    assert post["status"] == "published" and target["state"] == "published"
    assert target["first_comment_status"]["state"] == "failed"
    assert target["first_comment_status"]["error"]["kind"] == "validation"
    assert "duplicate" in target["first_comment_status"]["error"]["message"]
    # And in the organization's notices
    r = http.get(f"/api/orgs/{owner['org_id']}/social/notices", headers=owner["headers"])
    [notice] = [n for n in r.json()["items"] if n["kind"] == "first_comment_failed"]
    assert notice["connection_id"] == conn["connection_id"] and target["platform_post_id"] in notice["reason"]


class WorkerDied(BaseException):  # noqa: N818 - what the process dying looks like to the code it ran
    pass


def test_a_transient_failure_is_retried_and_a_dying_worker_still_comments_once(http, owner, local_suite,
                                                                               sandboxes):
    connected = connect(http, owner["headers"], owner["org_id"], "x")
    conn = connected["connections"][0]
    post_id, outcomes = publish(http, owner, conn["connection_id"], "Open all weekend", FIRST)
    assert outcomes == ["published"]
    [msg] = comment_messages()
    # Lily's clock stands still from here (it moves only by clock.advance): on a busy machine the retry instant
    # (at least 1 s away) must not pass while the test reads the post between two steps
    with clock.freeze(time.time()):
        gateway = composition.publishing_ports().gateway
        # When X answers 503 to the comment: retried later, the post untouched
        httpx.post(f"{sandboxes['x'].base_url}/_sandbox/faults",
                   json={"kind": "5xx", "count": 1, "path": "/2/tweets", "method": "POST"}, timeout=5)
        assert first_comments.process(msg, gateway) == "retry"
        target = _post(http, owner, post_id)["targets"][0]
        assert target["first_comment_status"]["state"] == "queued" and target["first_comment_status"]["error"]
        assert first_comments.process(msg, gateway) == "deferred"  # not before its retry instant
        # When the retry's worker dies right after X accepted the comment
        clock.advance(5)

        class DiesAfterCommenting:
            def __getattr__(self, name):
                return getattr(gateway, name)

            def comment(self, target):
                gateway.comment(target)
                raise WorkerDied  # the process ends: nothing in the worker catches it

        with pytest.raises(WorkerDied):
            first_comments.process(msg, DiesAfterCommenting())
        t = Target.get(post_id, target["target_id"])
        assert t.fc_state == "sending"
        assert first_comments.process(msg, gateway) == "deferred"  # its lease still runs
        # Then once its lease has ended, the next worker finds the comment instead of posting again
        s = publishing_settings()
        clock.advance(s.lease_s + s.reconcile_delay_s + 1)
        assert first_comments.process(msg, gateway) == "reconciled"
        status = _post(http, owner, post_id)["targets"][0]["first_comment_status"]
        assert status["state"] == "sent" and status["attempts"] == 3
        assert len(_comments_at_platform(sandboxes, "x", target["platform_post_id"])) == 1
