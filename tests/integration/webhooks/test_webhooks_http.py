"""Outbound webhooks through the public API and the queues: subscriptions (secret once, plan, role, scopes, tenant),
an event delivered to a receiver written from docs/webhooks.md alone, the local sink, redelivery and replay."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from lily.core import events
from lily.local.serve import ThreadedServer
from lily.webhooks.models import WebhookSubscription
from tests.helpers import drain
from tests.integration.webhooks.conftest import allow_local, docs_verifier
from tests.support.billing import set_plan
from tests.support.identity import add_member, create_api_key, create_org, register_user

POST_DATA = {"post_id": "post_1", "target_id": "tgt_1", "platform": "x"}


def _org(http, plan: str | None = "starter") -> tuple[str, dict]:
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    if plan:
        set_plan(org_id, plan)
    return org_id, owner["headers"]


def _subscribe(http, org_id, headers, url, events_=("post.published",)) -> dict:
    r = http.post(f"/api/orgs/{org_id}/webhooks", json={"url": url, "events": list(events_)}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_crud_shows_the_secret_once_and_checks_its_input(http, lily_env):
    org_id, headers = _org(http)
    base = f"/api/orgs/{org_id}/webhooks"
    # When an admin subscribes
    created = _subscribe(http, org_id, headers, "https://hooks.example.com/lily", ("post.published", "post.failed"))
    # Then the secret is shown this once, and stored only as a KMS envelope
    assert created["secret"].startswith("whsec_") and created["secret_hint"] == created["secret"][-4:]
    stored = WebhookSubscription.get(org_id, created["subscription_id"])
    assert created["secret"] not in stored.secret_envelope and json.loads(stored.secret_envelope)["v"] == 1
    got = http.get(f"{base}/{created['subscription_id']}", headers=headers)
    assert got.status_code == 200 and "secret" not in got.json()
    listed = http.get(base, headers=headers).json()
    assert [w["subscription_id"] for w in listed["items"]] == [created["subscription_id"]]
    assert "secret" not in listed["items"][0]
    # Changing it
    r = http.patch(f"{base}/{created['subscription_id']}", json={"events": ["image.ready"]}, headers=headers)
    assert r.status_code == 200 and r.json()["events"] == ["image.ready"]
    # Bad input: an unknown event type, plain http, a private address literal, credentials in the URL
    for body, field in [({"url": "https://a.example.com", "events": ["post.exploded"]}, "events"),
                        ({"url": "http://a.example.com/hook", "events": ["post.published"]}, "url"),
                        ({"url": "https://169.254.169.254/latest", "events": ["post.published"]}, "url"),
                        ({"url": "https://10.0.0.7/hook", "events": ["post.published"]}, "url"),
                        ({"url": "https://localhost/hook", "events": ["post.published"]}, "url"),
                        ({"url": "https://u:p@a.example.com/hook", "events": ["post.published"]}, "url")]:
        r = http.post(base, json=body, headers=headers)
        assert r.status_code == 422 and r.json()["error"]["details"]["field"] == field, (body, r.text)
    r = http.post(base, json={"url": "https://a.example.com"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_001"
    # The registry is served
    types = http.get(f"{base}/event-types", headers=headers).json()
    assert {t["type"] for t in types["items"]} == set(events.EVENT_TYPES) and types["version"] == 1
    # Deleting
    assert http.delete(f"{base}/{created['subscription_id']}", headers=headers).status_code == 204
    r = http.get(f"{base}/{created['subscription_id']}", headers=headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "VALIDATION_004"


def test_plan_role_scopes_and_tenants(http, lily_env):
    # A free organization cannot subscribe
    org_id, headers = _org(http, plan=None)
    r = http.post(f"/api/orgs/{org_id}/webhooks", json={"url": "https://h.example.com", "events": ["post.failed"]},
                  headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "PLAN_001"
    assert http.get(f"/api/orgs/{org_id}/webhooks", headers=headers).status_code == 200  # reading stays open
    set_plan(org_id, "starter")
    created = _subscribe(http, org_id, headers, "https://h.example.com/x")
    one = f"/api/orgs/{org_id}/webhooks/{created['subscription_id']}"
    # An editor is not an admin
    editor = add_member(http, headers, org_id, "editor")
    assert http.get(one, headers=editor["headers"]).status_code == 403
    # API keys: default-deny; webhooks:read reads, webhooks:write writes
    reader = create_api_key(http, headers, org_id, scopes=["webhooks:read"], role="admin")
    other = create_api_key(http, headers, org_id, scopes=["posts:read"], role="admin")
    assert http.get(one, headers=reader["headers"]).status_code == 200
    assert http.get(one, headers=other["headers"]).status_code == 403
    r = http.post(f"/api/orgs/{org_id}/webhooks", json={"url": "https://h.example.com", "events": ["post.failed"]},
                  headers=reader["headers"])
    assert r.status_code == 403 and r.json()["error"]["details"]["scope"] == "webhooks:write"
    writer = create_api_key(http, headers, org_id, scopes=["webhooks:write"], role="admin")
    assert http.delete(one, headers=writer["headers"]).status_code == 204
    # Another organization's admin sees nothing of it
    second = _subscribe(http, org_id, headers, "https://h.example.com/y")
    other_org, other_headers = _org(http)
    for path in (f"/api/orgs/{org_id}/webhooks/{second['subscription_id']}", f"/api/orgs/{org_id}/webhooks"):
        assert http.get(path, headers=other_headers).status_code in (403, 404)
    r = http.get(f"/api/orgs/{other_org}/webhooks/{second['subscription_id']}", headers=other_headers)
    assert r.status_code == 404


def test_a_receiver_written_from_the_docs_verifies_real_deliveries(http, local_suite, receiver):
    verify = docs_verifier()
    org_id, headers = _org(http)
    created = _subscribe(http, org_id, headers, receiver.url, ("post.published",))
    secret = created["secret"]
    # When a post is published (the event the publisher emits) and the queues run
    env = events.emit("post.published", org_id, POST_DATA)
    events.emit("post.failed", org_id, POST_DATA)  # not subscribed: not delivered
    drain(local_suite)
    # Then the receiver got exactly the subscribed event, and the docs' verifier accepts it
    assert len(receiver.got) == 1
    got_headers, body = receiver.got[0]
    assert verify(secret, got_headers, body)
    envelope = json.loads(body)
    assert envelope == env and got_headers["Lily-Event-Id"] == env["id"]
    assert set(envelope) == {"id", "type", "created", "org_id", "data", "v"}
    # A tampered body, another secret, an old timestamp: refused by the same verifier
    assert not verify(secret, got_headers, body.replace(b"post_1", b"post_2"))
    assert not verify("whsec_other", got_headers, body)
    stale = {"Lily-Timestamp": str(int(time.time()) - 3600), "Lily-Signature": got_headers["Lily-Signature"]}
    assert not verify(secret, stale, body)
    # And the delivery is logged: delivered, status code, latency, the answer
    page = http.get(f"/api/orgs/{org_id}/webhooks/{created['subscription_id']}/deliveries", headers=headers).json()
    [d] = page["items"]
    assert d["status"] == "delivered" and d["last_status_code"] == 200 and d["attempts"] == 1
    assert d["last_latency_ms"] is not None and d["event_id"] == env["id"]
    detail = http.get(f"/api/orgs/{org_id}/webhooks/{created['subscription_id']}/deliveries/{d['delivery_id']}",
                      headers=headers).json()
    assert detail["body"] == body.decode() and detail["log"][0]["response"] == "ok"


def test_redeliver_one_and_replay_since(http, local_suite, receiver):
    org_id, headers = _org(http)
    created = _subscribe(http, org_id, headers, receiver.url, ("image.ready",))
    one = f"/api/orgs/{org_id}/webhooks/{created['subscription_id']}"
    sent = []
    for i in range(3):
        sent.append(events.emit("image.ready", org_id, {"media_id": f"med_{i}"}))
        time.sleep(0.01)
    drain(local_suite)
    assert sorted(json.loads(b)["id"] for _, b in receiver.got) == [e["id"] for e in sent]
    # Replay everything since the second event
    r = http.post(f"{one}/replay", json={"since": sent[1]["created"]}, headers=headers)
    assert r.status_code == 202 and r.json() == {"replayed": 2, "truncated": False}
    drain(local_suite)
    assert sorted(json.loads(b)["id"] for _, b in receiver.got[3:]) == [sent[1]["id"], sent[2]["id"]]
    # Redeliver the first one
    first = next(d for d in http.get(f"{one}/deliveries", headers=headers).json()["items"]
                 if d["event_id"] == sent[0]["id"])
    r = http.post(f"{one}/deliveries/{first['delivery_id']}/redeliver", headers=headers)
    assert r.status_code == 202 and r.json()["round"] == 1 and r.json()["status"] == "pending"
    drain(local_suite)
    assert json.loads(receiver.got[-1][1])["id"] == sent[0]["id"] and len(receiver.got) == 6
    detail = http.get(f"{one}/deliveries/{first['delivery_id']}", headers=headers).json()
    assert [(a["round"], a["outcome"]) for a in detail["log"]] == [(0, "delivered"), (1, "delivered")]
    # Unknown delivery; a disabled webhook is not replayed
    assert http.post(f"{one}/deliveries/dlv_nope/redeliver", headers=headers).status_code == 404
    http.patch(one, json={"enabled": False}, headers=headers)
    r = http.post(f"{one}/replay", json={"since": sent[0]["created"]}, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "VALIDATION_003"


@pytest.fixture
def served(local_suite, monkeypatch):
    """The local gateway on a loopback port, as `make run` serves it, allowed through the guard as local mode does."""
    server = ThreadedServer(local_suite.gateway).start()
    authority = server.base_url.split("//", 1)[1]
    allow_local(monkeypatch, authority)
    yield server.base_url
    server.stop()


def test_local_sink_shows_what_was_delivered_and_latency(http, local_suite, served):
    org_id, headers = _org(http)
    httpx.delete(f"{served}/_local/webhook-sink")
    created = _subscribe(http, org_id, headers, f"{served}/_local/webhook-sink/latency", ("research.completed",))
    # Local mode: the queue pollers run in the background, as `make run` runs them
    local_suite.start_background()
    latencies = []
    for i in range(10):
        started = time.time()
        env = events.emit("research.completed", org_id, {"job_id": f"job_{i}"})
        deadline = time.time() + 20
        while time.time() < deadline:
            got = httpx.get(f"{served}/_local/webhook-sink", params={"channel": "latency", "limit": 1}).json()
            if got and json.loads(got[0]["body"])["id"] == env["id"]:
                latencies.append((got[0]["received_ts"] - started) * 1000)
                break
            time.sleep(0.005)
    shown = httpx.get(f"{served}/_local/webhook-sink", params={"channel": "latency", "secret": created["secret"],
                                                              "limit": 100}).json()
    assert len(shown) == 10 and all(item["verified"] for item in shown)
    assert all(item["headers"]["lily-event-type"] == "research.completed" for item in shown)
    latencies.sort()
    print(f"\nwebhook latency event -> /_local/webhook-sink (local mode, background pollers, n={len(latencies)}): "
          f"median {latencies[len(latencies) // 2]:.0f} ms, worst {latencies[-1]:.0f} ms; "
          f"baseline: the social inbound webhook's sandbox-to-stored median of 604-837 ms (docs/webhooks.md)")
