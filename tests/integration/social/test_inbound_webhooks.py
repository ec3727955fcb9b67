"""Inbound platform webhooks through the public routes: each platform's check answered and each delivery verified
with a signature computed here from the platform's docs (hmac, hashlib, base64: not Lily's code); tampered, stale
and replayed deliveries refused; events stored once per organization connected to the account, never for another;
an unknown account acknowledged and dropped with a metric; and a sandbox comment arriving by webhook end to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx
import pytest

from lily.core import clock
from lily.core.observability import counter_value
from lily.local.secret_values import SOCIAL_APP_SECRETS
from lily.local.serve import ThreadedServer
from lily.social import inbound
from tests.helpers import drain
from tests.integration.social.conftest import connect, set_plan
from tests.support.identity import create_org, register_user

SECRETS = SOCIAL_APP_SECRETS


def signed(route: str, payload: dict) -> tuple[bytes, dict[str, str]]:
    """The raw body and the signature header exactly as each platform's docs say it signs."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    if route == "x":
        mac = hmac.new(SECRETS["x_consumer_secret"].encode(), raw, hashlib.sha256).digest()
        header = {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(mac).decode()}
    elif route == "meta":
        header = {"X-Hub-Signature-256": "sha256=" + hmac.new(
            SECRETS["meta_app_secret"].encode(), raw, hashlib.sha256).hexdigest()}
    else:
        header = {"X-LI-Signature": hmac.new(
            SECRETS["linkedin_client_secret"].encode(), b"hmacsha256=" + raw, hashlib.sha256).hexdigest()}
    return raw, {"Content-Type": "application/json", **header}


def x_reply(account: str, post_id: str, at: float) -> dict:
    return {"for_user_id": account, "tweet_create_events": [{
        "id_str": post_id, "text": "@lily when do you open?", "timestamp_ms": str(int(at * 1000)),
        "user": {"id_str": "2244994945", "screen_name": "bakery_fan"},
        "in_reply_to_status_id_str": "1800000000000000001", "in_reply_to_user_id_str": account,
        "entities": {"user_mentions": [{"id_str": account}]}}]}


def meta_comment(page: str, comment_id: str, at: float) -> dict:
    return {"object": "page", "entry": [{"id": page, "time": int(at), "changes": [{"field": "feed", "value": {
        "item": "comment", "verb": "add", "comment_id": comment_id, "post_id": f"{page}_77", "parent_id": f"{page}_77",
        "from": {"id": "9001", "name": "Ann"}, "message": "Lovely!", "created_time": int(at)}}]}]}


def linkedin_comment(org_urn: str, notification_id: int, at: float) -> dict:
    return {"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [{
        "notificationId": notification_id, "action": "COMMENT", "organizationalEntity": org_urn,
        "sourcePost": "urn:li:share:7094637247487995904", "lastModifiedAt": int(at * 1000),
        "decoratedGeneratedActivity": {"comment": {"entity": "urn:li:comment:(urn:li:share:709,1)",
                                                   "owner": "urn:li:person:zLqTygBP8S", "text": "Congrats"}}}]}


PLATFORMS = {  # route -> (platform connected, account kind, payload maker)
    "x": ("x", "user", x_reply),
    "meta": ("facebook", "page", meta_comment),
    "linkedin": ("linkedin", "organization", linkedin_comment),
}


@pytest.fixture
def owner(http, sandboxes):
    user = register_user(http)
    org_id = create_org(http, user["headers"])
    set_plan(org_id, "pro")
    return {**user, "org_id": org_id}


def _account(http, owner, platform: str, kind: str, user: str = "alice") -> dict:
    result = connect(http, owner["headers"], owner["org_id"], platform, user=user)
    return next(c for c in result["connections"] if c["account_kind"] == kind)


def test_each_platform_check_is_answered_as_its_docs_say(http, sandboxes):
    # Meta: the challenge back for our verify token, 403 for another
    ok = http.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": SECRETS["meta_verify_token"],
                                            "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = http.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                             "hub.challenge": "1158201444"})
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "AUTH_003" and "1158201444" not in bad.text
    # X: response_token = sha256= + base64 HMAC-SHA256(consumer secret, crc_token)
    crc = http.get("/webhooks/x", params={"crc_token": "Y2FmZWJhYmU"})
    mac = hmac.new(SECRETS["x_consumer_secret"].encode(), b"Y2FmZWJhYmU", hashlib.sha256).digest()
    assert crc.status_code == 200 and crc.json() == {"response_token": "sha256=" + base64.b64encode(mac).decode()}
    # LinkedIn: challengeResponse = hex HMAC-SHA256(client secret, challengeCode), as JSON
    code = "890e4ec4-2e6f-4b1e-9e2a-0f3a1c2b4d5e"
    li = http.get("/webhooks/linkedin", params={"challengeCode": code})
    expected = hmac.new(SECRETS["linkedin_client_secret"].encode(), code.encode(), hashlib.sha256).hexdigest()
    assert li.status_code == 200 and li.headers["content-type"].startswith("application/json")
    assert li.json() == {"challengeCode": code, "challengeResponse": expected}


@pytest.mark.parametrize("route", ["x", "meta", "linkedin"])
def test_a_signed_delivery_is_stored_once_for_its_org_and_refused_when_tampered_replayed_or_stale(
        route, http, owner, local_suite, sandboxes):
    platform, kind, make = PLATFORMS[route]
    account = _account(http, owner, platform, kind)
    # And another organization connected to another account of the same platform
    other = register_user(http)
    other_org = create_org(http, other["headers"])
    set_plan(other_org, "pro")
    connect(http, other["headers"], other_org, platform, user="bob")
    now = clock.now_ts()
    raw, headers = signed(route, make(account["account_id"], 918273645, now) if route == "linkedin"
                          else make(account["account_id"], "1900000000000000001", now))
    fails = counter_value("webhook_signature_failures_total", platform=route)
    # When the delivery arrives with one byte changed (a space: the same JSON, not the same bytes), or unsigned
    tampered = http.post(f"/webhooks/{route}", content=raw.replace(b":", b": ", 1), headers=headers)
    assert tampered.status_code == 400 and tampered.json()["error"]["code"] == "WEBHOOK_001"
    assert tampered.json()["error"]["details"]["reason"] == "bad_signature"
    unsigned = http.post(f"/webhooks/{route}", content=raw, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 400
    assert counter_value("webhook_signature_failures_total", platform=route) == fails + 2
    # When it arrives as signed
    accepted = counter_value("social_webhook_events_total", platform=platform,
                             type="reply" if route == "x" else "comment")
    first = http.post(f"/webhooks/{route}", content=raw, headers=headers)
    assert first.status_code == 200 and first.json()["accepted"] == 1, first.text
    assert counter_value("social_webhook_events_total", platform=platform,
                         type="reply" if route == "x" else "comment") == accepted + 1
    # And again (the platform retries, or someone replays it)
    replay = http.post(f"/webhooks/{route}", content=raw, headers=headers)
    assert replay.status_code == 200 and replay.json()["accepted"] == 0 and replay.json()["duplicate"] == 1
    drain(local_suite)
    # Then it is stored once, for the organization connected to the account
    [stored] = inbound.for_org(owner["org_id"])
    assert stored.connection_id == account["connection_id"] and stored.platform == platform
    assert stored.kind == ("reply" if route == "x" else "comment") and stored.text and stored.author_id
    assert stored.post_id
    # And the other organization never sees it
    assert inbound.for_org(other_org) == []
    # When the same delivery is replayed after the acceptance window, it is stale
    clock.advance(3 * 86400)
    stale = http.post(f"/webhooks/{route}", content=raw, headers=headers)
    assert stale.status_code == 400 and stale.json()["error"]["details"]["reason"] == "stale"
    # And an event dated ahead of Lily's clock is refused too
    ahead = clock.now_ts() + 3600
    raw2, headers2 = signed(route, make(account["account_id"], 918273646, ahead) if route == "linkedin"
                            else make(account["account_id"], "1900000000000000002", ahead))
    ahead_answer = http.post(f"/webhooks/{route}", content=raw2, headers=headers2)
    assert ahead_answer.status_code == 400 and ahead_answer.json()["error"]["details"]["reason"] == "stale"
    drain(local_suite)
    assert len(inbound.for_org(owner["org_id"])) == 1


def test_an_event_for_an_account_no_org_connected_is_acknowledged_and_dropped(http, local_suite, sandboxes):
    dropped = counter_value("social_webhook_events_dropped_total", platform="x", reason="unknown_account")
    raw, headers = signed("x", x_reply("1234500000000000009", "1900000000000000099", clock.now_ts()))
    r = http.post("/webhooks/x", content=raw, headers=headers)
    assert r.status_code == 200 and r.json()["accepted"] == 1
    assert drain(local_suite) == 1
    assert counter_value("social_webhook_events_dropped_total", platform="x", reason="unknown_account") == dropped + 1


def test_a_malformed_signed_body_is_invalid_input(http, sandboxes):
    raw, headers = signed("meta", {"object": "page"})
    r = http.post("/webhooks/meta", content=raw, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_001"


@pytest.fixture
def served(local_suite):
    """Lily's gateway on a real port, so a sandbox can deliver to it."""
    server = ThreadedServer(local_suite.gateway).start()
    yield server.base_url
    server.stop()


@pytest.mark.parametrize("route,kind,platform,account_kind", [
    ("x", "mention", "x", "user"), ("meta", "comment", "facebook", "page"),
    ("meta", "reply", "instagram", "instagram_business"), ("linkedin", "comment", "linkedin", "organization")])
def test_a_sandbox_engagement_arrives_by_webhook_and_is_stored_once(
        route, kind, platform, account_kind, http, owner, local_suite, sandboxes, served):
    account = _account(http, owner, platform, account_kind)
    other = register_user(http)
    other_org = create_org(http, other["headers"])
    sandbox = sandboxes[route]
    httpx.post(f"{sandbox.base_url}/_sandbox/config", json={"webhook_url": f"{served}/webhooks/{route}"}, timeout=5)
    # When someone comments on, replies to or mentions the connected account at the platform
    body = {"kind": kind, "account_id": account["account_id"], "text": "Is this gluten free?"}
    if route == "meta":
        body["platform"] = platform
    made = httpx.post(f"{sandbox.base_url}/_sandbox/engagement", json=body, timeout=10).json()
    # Then the platform's signed delivery was acknowledged by Lily at once
    assert made["delivered"] and made["status"] == 200, made
    assert json.loads(made["body"])["accepted"] == 1
    # And the platform retrying it changes nothing
    again = httpx.post(f"{served}/webhooks/{route}", content=made["raw"].encode(), headers=made["headers"], timeout=5)
    assert again.json()["duplicate"] == 1
    drain(local_suite)
    [stored] = inbound.for_org(owner["org_id"])
    assert (stored.platform, stored.kind, stored.connection_id) == (platform, kind, account["connection_id"])
    assert stored.text.endswith("Is this gluten free?") and stored.item_id
    assert inbound.for_org(other_org) == []
