"""The engagement inbox through its public routes: a sandbox comment (mention) arrives by the platform's signed
webhook, becomes an inbox item of its organization only, is triaged (read, assignee, status, filters, cursors,
scoped keys) and replied to exactly once through the platform's reply API, which the sandbox validates as the
real API does; a reply worker that dies mid-call still replies once; a refused reply is recorded and may be sent
again; an AI suggestion in the brand voice counts against the AI quota."""

from __future__ import annotations

import json

import httpx
import pytest

from lily.core import clock
from lily.core.observability import counter_value
from lily.local.serve import ThreadedServer
from lily.social import comments, inbox_replies
from lily.social.reply_messages import ReplyMessage
from tests.helpers import drain
from tests.integration.social.conftest import connect, set_plan
from tests.support.identity import add_member, create_api_key, create_org, register_user
from tests.support.sandboxes import running_sandboxes

REPLY = "Thank you so much!"


@pytest.fixture
def owner(http, sandboxes):
    user = register_user(http)
    org_id = create_org(http, user["headers"])
    set_plan(org_id, "pro")
    return {**user, "org_id": org_id}


@pytest.fixture(scope="module")
def ai_sandbox():
    """The OpenAI-compatible sandbox (the AI reply suggestion's provider)."""
    with running_sandboxes(["openai"], {"LILY_AI_TIMEOUT_S": "5"}) as started:
        yield started["openai"]


@pytest.fixture
def served(local_suite):
    """Lily's gateway on a real port, so a sandbox can deliver to it."""
    server = ThreadedServer(local_suite.gateway).start()
    yield server.base_url
    server.stop()


def _account(http, owner, platform: str, kind: str) -> dict:
    result = connect(http, owner["headers"], owner["org_id"], platform)
    return next(c for c in result["connections"] if c["account_kind"] == kind)


def _engage(sandbox, served: str, route: str, account: dict, kind: str, text: str, platform: str | None = None):
    httpx.post(f"{sandbox.base_url}/_sandbox/config", json={"webhook_url": f"{served}/webhooks/{route}"}, timeout=5)
    body = {"kind": kind, "account_id": account["account_id"], "text": text}
    if platform:
        body["platform"] = platform
    made = httpx.post(f"{sandbox.base_url}/_sandbox/engagement", json=body, timeout=10).json()
    assert made["delivered"] and made["status"] == 200, made
    return made


def _inbox(http, owner, **params) -> dict:
    r = http.get(f"/api/orgs/{owner['org_id']}/inbox", headers=owner["headers"], params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _replies_at_platform(sandboxes, route: str, item: dict) -> list[dict]:
    """Every reply the account made to the item, as the platform stored it."""
    state = sandboxes[route].state
    if route == "x":
        return [p for p in state.posts.values()
                if (p.get("reply") or {}).get("in_reply_to_tweet_id") == item["platform_item_id"]]
    if route == "meta":
        return [c for c in state.comments.values() if c["on"] == item["platform_item_id"] and c.get("owner")]
    return [c for c in state.comments.values() if c.get("parentComment") == item["platform_item_id"]]


CASES = [  # route, platform, connected account kind, engagement
    ("x", "x", "user", "mention"),
    ("meta", "facebook", "page", "comment"),
    ("meta", "instagram", "instagram_business", "comment"),
    ("linkedin", "linkedin", "organization", "comment"),
]


@pytest.mark.parametrize("route,platform,account_kind,kind", CASES)
def test_a_sandbox_comment_arrives_is_listed_for_its_org_only_and_replied_to_once(
        route, platform, account_kind, kind, http, owner, local_suite, sandboxes, served):
    account = _account(http, owner, platform, account_kind)
    other = register_user(http)
    other_org = create_org(http, other["headers"])
    # When someone comments at the platform (the sandbox delivers the signed webhook) and the workers run
    _engage(sandboxes[route], served, route, account, kind, "Love this, thanks!",
            platform if route == "meta" else None)
    drain(local_suite)
    # Then the organization's inbox lists it, unread and open, with its sentiment
    [item] = _inbox(http, owner)["items"]
    assert (item["platform"], item["kind"], item["connection_id"]) == (platform, kind, account["connection_id"])
    assert item["text"].endswith("Love this, thanks!") and item["sentiment"] == "positive"
    assert item["read"] is False and item["status"] == "open" and item["reply"] is None
    assert item["author_id"] and item["platform_item_id"]
    # And another organization never sees it: not in its inbox, not by id, not through the owner's path
    r = http.get(f"/api/orgs/{other_org}/inbox", headers=other["headers"])
    assert r.status_code == 200 and r.json()["items"] == []
    r = http.get(f"/api/orgs/{other_org}/inbox/{item['item_id']}", headers=other["headers"])
    assert r.status_code == 404 and r.json()["error"]["code"] == "VALIDATION_004"
    r = http.get(f"/api/orgs/{owner['org_id']}/inbox/{item['item_id']}", headers=other["headers"])
    assert r.status_code in (403, 404)
    r = http.post(f"/api/orgs/{other_org}/inbox/{item['item_id']}/reply", headers=other["headers"],
                  json={"text": "hijack"})
    assert r.status_code == 404
    # When the owner replies from the inbox
    base = f"/api/orgs/{owner['org_id']}/inbox/{item['item_id']}"
    r = http.post(f"{base}/reply", headers=owner["headers"], json={"text": REPLY})
    assert r.status_code == 202, r.text
    assert r.json()["reply"]["state"] == "queued" and r.json()["reply"]["text"] == REPLY
    # And asks again before it went out: refused, nothing queued twice
    again = http.post(f"{base}/reply", headers=owner["headers"], json={"text": REPLY})
    assert again.status_code == 409 and again.json()["error"]["code"] == "VALIDATION_003"
    drain(local_suite)
    # Then the reply is recorded on the item, which is replied and read
    got = http.get(base, headers=owner["headers"]).json()
    assert got["reply"]["state"] == "sent" and got["reply"]["platform_id"] and got["reply"]["attempts"] == 1
    assert got["status"] == "replied" and got["read"] is True
    # And the platform holds exactly one reply, answering that comment, by the connected account
    [made] = _replies_at_platform(sandboxes, route, item)
    if route == "x":
        assert made["text"] == REPLY and made["id"] == got["reply"]["platform_id"]
    elif route == "meta":
        assert made["message"] == REPLY and made["from"]["id"] == account["account_id"]
    else:
        assert made["message"]["text"] == REPLY and made["actor"] == account["account_id"]
        assert made["commentUrn"] == got["reply"]["platform_id"]
    # And once sent, another reply is refused
    assert http.post(f"{base}/reply", headers=owner["headers"], json={"text": "more"}).status_code == 409


class WorkerDied(BaseException):  # noqa: N818 - what the process dying looks like to the code it ran
    """Nothing in the worker catches it, as nothing catches a Lambda that times out or runs out of memory."""


class DiesAfterPosting:
    """The platform calls, but the worker dies right after the platform accepted the reply."""

    def __init__(self) -> None:
        self.posted = 0

    def post(self, *args):
        done = comments.post(*args)
        self.posted += 1
        raise WorkerDied(done.platform_id)

    find = staticmethod(comments.find)
    classify = staticmethod(comments.classify)


def test_the_reply_worker_dying_mid_call_still_replies_once(http, owner, local_suite, sandboxes, served):
    account = _account(http, owner, "x", "user")
    _engage(sandboxes["x"], served, "x", account, "reply", "When do you open?")
    drain(local_suite)
    [item] = _inbox(http, owner)["items"]
    base = f"/api/orgs/{owner['org_id']}/inbox/{item['item_id']}"
    assert http.post(f"{base}/reply", headers=owner["headers"], json={"text": REPLY}).status_code == 202
    msg = ReplyMessage(org_id=owner["org_id"], item_id=item["item_id"])
    # When the worker dies after X accepted the reply, before it recorded anything
    dying = DiesAfterPosting()
    with pytest.raises(WorkerDied):
        inbox_replies.process(dying, msg)
    assert dying.posted == 1
    assert http.get(base, headers=owner["headers"]).json()["reply"]["state"] == "sending"
    # And its message comes back while the dead worker's lease still runs: nothing is sent
    assert inbox_replies.process(comments, msg) == "deferred"
    # When the lease (and the reconcile delay) has passed, the next worker takes over
    clock.advance(inbox_replies.POLICY.lease_s + inbox_replies.POLICY.reconcile_delay_s + 1)
    assert inbox_replies.process(comments, msg) == "reconciled"
    # Then the reply was found at X and recorded, and X holds it once
    got = http.get(base, headers=owner["headers"]).json()
    assert got["reply"]["state"] == "sent" and got["reply"]["attempts"] == 2 and got["status"] == "replied"
    [made] = _replies_at_platform(sandboxes, "x", item)
    assert made["text"] == REPLY and made["id"] == got["reply"]["platform_id"]
    # And the messages left on the queue change nothing
    drain(local_suite)
    assert len(_replies_at_platform(sandboxes, "x", item)) == 1


def test_a_refused_reply_is_recorded_and_may_be_sent_again(http, owner, local_suite, sandboxes, served):
    account = _account(http, owner, "x", "user")
    _engage(sandboxes["x"], served, "x", account, "mention", "Hey @lily")
    drain(local_suite)
    [item] = _inbox(http, owner)["items"]
    base = f"/api/orgs/{owner['org_id']}/inbox/{item['item_id']}"
    # Given the post was deleted at X before the reply went out
    sandboxes["x"].state.posts[item["platform_item_id"]]["deleted"] = True
    assert http.post(f"{base}/reply", headers=owner["headers"], json={"text": REPLY}).status_code == 202
    drain(local_suite)
    # Then X's refusal is on the item and the item stays open
    got = http.get(base, headers=owner["headers"]).json()
    assert got["reply"]["state"] == "failed" and got["status"] == "open"
    assert got["reply"]["error"]["kind"] == "permission" and "deleted" in got["reply"]["error"]["message"]
    # When the post is back and the user sends again, it goes out once
    sandboxes["x"].state.posts[item["platform_item_id"]]["deleted"] = False
    assert http.post(f"{base}/reply", headers=owner["headers"], json={"text": REPLY}).status_code == 202
    drain(local_suite)
    assert http.get(base, headers=owner["headers"]).json()["reply"]["state"] == "sent"
    assert len(_replies_at_platform(sandboxes, "x", item)) == 1


def test_triage_filters_cursors_assignees_and_scoped_keys(http, owner, local_suite, sandboxes, served):
    account = _account(http, owner, "x", "user")
    for text in ("Love it", "This is broken and slow", "What time do you open?"):
        _engage(sandboxes["x"], served, "x", account, "mention", text)
    drain(local_suite)
    org, headers = owner["org_id"], owner["headers"]
    items = _inbox(http, owner)["items"]
    assert [i["sentiment"] for i in items] == ["neutral", "negative", "positive"]  # newest first
    # Pages follow the cursor; a cursor of another list is refused
    first = _inbox(http, owner, limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = _inbox(http, owner, limit=2, cursor=first["next_cursor"])
    assert [i["item_id"] for i in first["items"] + second["items"]] == [i["item_id"] for i in items]
    assert second["next_cursor"] is None
    other = register_user(http)
    other_org = create_org(http, other["headers"])
    r = http.get(f"/api/orgs/{other_org}/inbox", headers=other["headers"], params={"cursor": first["next_cursor"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_001"
    # Assign to a member, mark read, close; filters find it
    member = add_member(http, headers, org, "editor")
    target = items[1]["item_id"]
    r = http.patch(f"/api/orgs/{org}/inbox/{target}", headers=headers,
                   json={"read": True, "assignee_id": member["user_id"], "status": "closed"})
    assert r.status_code == 200, r.text
    assert (r.json()["read"], r.json()["assignee_id"], r.json()["status"]) == (True, member["user_id"], "closed")
    assert [i["item_id"] for i in _inbox(http, owner, assignee_id=member["user_id"])["items"]] == [target]
    assert len(_inbox(http, owner, read="false")["items"]) == 2
    assert [i["item_id"] for i in _inbox(http, owner, status="closed", sentiment="negative")["items"]] == [target]
    assert _inbox(http, owner, platform="linkedin")["items"] == []
    # Someone outside the organization cannot be assigned; bad input is a clear error
    r = http.patch(f"/api/orgs/{org}/inbox/{target}", headers=headers, json={"assignee_id": other["user_id"]})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "assignee_id"
    assert http.patch(f"/api/orgs/{org}/inbox/{target}", headers=headers, json={}).status_code == 422
    assert http.patch(f"/api/orgs/{org}/inbox/{target}", headers=headers,
                      json={"status": "archived"}).status_code == 422
    assert http.patch(f"/api/orgs/{org}/inbox/ibx_nope", headers=headers, json={"read": True}).status_code == 404
    assert http.post(f"/api/orgs/{org}/inbox/{target}/reply", headers=headers, json={"text": ""}).status_code == 422
    r = http.patch(f"/api/orgs/{org}/inbox/{target}", headers=headers, json={"assignee_id": None})
    assert r.status_code == 200 and r.json()["assignee_id"] is None
    # API keys: inbox:read lists but cannot change; inbox:write changes; a key without either is refused
    reader = create_api_key(http, headers, org, scopes=["inbox:read"])
    assert http.get(f"/api/orgs/{org}/inbox", headers=reader["headers"]).status_code == 200
    r = http.patch(f"/api/orgs/{org}/inbox/{target}", headers=reader["headers"], json={"read": False})
    assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_003"
    writer = create_api_key(http, headers, org, scopes=["inbox:read", "inbox:write"])
    r = http.patch(f"/api/orgs/{org}/inbox/{target}", headers=writer["headers"], json={"read": False})
    assert r.status_code == 200 and r.json()["read"] is False
    posts_only = create_api_key(http, headers, org, scopes=["posts:read"])
    assert http.get(f"/api/orgs/{org}/inbox", headers=posts_only["headers"]).status_code == 403


def test_an_instagram_mention_cannot_be_answered_and_says_so(http, owner, local_suite, sandboxes, served):
    account = _account(http, owner, "instagram", "instagram_business")
    _engage(sandboxes["meta"], served, "meta", account, "mention", "", "instagram")
    drain(local_suite)
    [item] = _inbox(http, owner)["items"]
    r = http.post(f"/api/orgs/{owner['org_id']}/inbox/{item['item_id']}/reply", headers=owner["headers"],
                  json={"text": REPLY})
    assert r.status_code == 422 and r.json()["error"]["details"]["platform"] == "instagram"
    assert http.get(f"/api/orgs/{owner['org_id']}/inbox/{item['item_id']}",
                    headers=owner["headers"]).json()["reply"] is None


def test_an_ai_suggested_reply_uses_the_brand_voice_and_the_ai_quota(http, owner, local_suite, sandboxes, served,
                                                                     ai_sandbox):
    account = _account(http, owner, "x", "user")
    _engage(sandboxes["x"], served, "x", account, "mention", "Do you ship to Canada?")
    drain(local_suite)
    [item] = _inbox(http, owner)["items"]
    org, headers = owner["org_id"], owner["headers"]
    r = http.put(f"/api/orgs/{org}/brand", headers=headers, json={"tone": "casual", "industry": "bakery"})
    assert r.status_code == 200, r.text
    used = {u["quota"]: u["used"] for u in http.get(f"/api/orgs/{org}/usage", headers=headers).json()}
    suggestions = counter_value("inbox_reply_suggestions_total", platform="x")
    r = http.post(f"/api/orgs/{org}/inbox/{item['item_id']}/suggest-reply", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["text"] and len(r.json()["text"]) <= 270
    after = {u["quota"]: u["used"] for u in http.get(f"/api/orgs/{org}/usage", headers=headers).json()}
    assert after["ai_text_requests"] == used.get("ai_text_requests", 0) + 1
    assert counter_value("inbox_reply_suggestions_total", platform="x") == suggestions + 1
    # The instructions carried the brand voice to the provider
    [call] = [json.dumps(c["body"]) for c in ai_sandbox.state.requests if "Do you ship to Canada?" in json.dumps(c)]
    assert "casual" in call and "bakery" in call
