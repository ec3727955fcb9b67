"""Stripe webhooks: signatures on the raw body, replay protection, allow list, convergence."""

from __future__ import annotations

import json
import random

import pytest

from lily.billing.entitlements import subscription_of
from lily.billing.views import subscription_view
from lily.billing.webhook_intake import ALLOWED_EVENTS
from lily.billing.webhooks import sign
from lily.core import clock, ids
from lily.core.observability import counter_value
from lily.local.sandboxes.stripe import local_keys
from tests.helpers import drain
from tests.integration.billing.conftest import event_types, post_events

SECRET = local_keys()["webhook_secret"]


def _event(type_: str = "customer.subscription.updated", **obj) -> bytes:
    body = {"id": ids.new_id("evt"), "object": "event", "type": type_, "created": int(clock.now_ts()),
            "api_version": "2026-10-28.endive", "livemode": False,
            "data": {"object": {"id": "sub_x", "object": "subscription", "customer": "cus_x", **obj}}}
    return json.dumps(body, indent=2).encode()


def _subscribe(sandbox, org_id: str, plan: str = "pro", trial: bool = True) -> str:
    """Checkout completed in the sandbox for ``org_id``; returns the subscription id."""
    state = sandbox.state
    prices = json.loads(sandbox.env["LILY_STRIPE_PRICES"])
    with state.lock:
        cus = "cus_" + org_id[-12:]
        state.customers[cus] = {"id": cus, "object": "customer", "metadata": {"org_id": org_id}}
        sid = "cs_test_" + org_id[-20:]
        state.sessions[sid] = {"id": sid, "object": "checkout.session", "status": "open", "customer": cus,
                               "mode": "subscription", "client_reference_id": org_id, "metadata": {"org_id": org_id},
                               "success_url": "https://app.example/s", "expires_at": int(clock.now_ts()) + 3600}
        state.session_subscription_data[sid] = {"price": prices[f"{plan}:month"],
                                                "metadata": {"org_id": org_id, "plan_id": plan},
                                                **({"trial_period_days": "14"} if trial else {})}
        return state.complete_checkout(sid)["subscription"]


def test_a_bad_signature_is_refused_and_counted(http, stripe_sandbox):
    before = counter_value("webhook_signature_failures_total", platform="stripe")
    body = _event()
    # Given a body signed with another secret, one with no header and one altered after signing
    forged = http.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body, "whsec_other")})
    missing = http.post("/webhooks/stripe", content=body)
    tampered = http.post("/webhooks/stripe", content=body.replace(b"sub_x", b"sub_y"),
                         headers={"Stripe-Signature": sign(body, SECRET)})
    # Then each is refused with the taxonomy code and counted
    for r, reason in ((forged, "mismatch"), (missing, "missing"), (tampered, "mismatch")):
        assert r.status_code == 400
        assert r.json()["error"]["code"] == "WEBHOOK_001"
        assert r.json()["error"]["details"]["reason"] == reason
    assert counter_value("webhook_signature_failures_total", platform="stripe") == before + 3


def test_a_stale_timestamp_is_refused_but_a_fresh_one_within_tolerance_passes(http, stripe_sandbox):
    before = counter_value("webhook_signature_failures_total", platform="stripe")
    body = _event("customer.created")  # not on the allow list: acknowledged and ignored
    stale = http.post("/webhooks/stripe", content=body,
                      headers={"Stripe-Signature": sign(body, SECRET, int(clock.now_ts()) - 301)})
    assert stale.status_code == 400 and stale.json()["error"]["details"]["reason"] == "stale"
    ok = http.post("/webhooks/stripe", content=body,
                   headers={"Stripe-Signature": sign(body, SECRET, int(clock.now_ts()) - 290)})
    assert ok.status_code == 200 and ok.json()["status"] == "ignored"
    assert counter_value("webhook_signature_failures_total", platform="stripe") == before + 1


def test_a_replayed_event_is_acknowledged_and_ignored(http, local_suite, stripe_sandbox):
    org_id = ids.new_id("org")
    _subscribe(stripe_sandbox, org_id)
    events = stripe_sandbox.state.take_outbox()
    # Given every event delivered once and processed
    assert {a["status"] for a in post_events(http, events)} <= {"accepted", "ignored"}
    processed = drain(local_suite)
    # each allowed event once, plus the one subscription.changed domain event its plan change emitted
    assert processed == sum(1 for t in event_types(events) if t in ALLOWED_EVENTS) + 1
    # When Stripe (or an attacker holding a captured delivery) replays them, freshly signed
    replays = [(body, {"Stripe-Signature": sign(body, SECRET)}) for body, _ in events]
    acks = post_events(http, replays)
    # Then each is acknowledged as a duplicate and nothing is enqueued again
    assert {a["status"] for a in acks} <= {"duplicate", "ignored"}
    assert drain(local_suite) == 0


def _normalised(org_id: str) -> dict:
    sub = subscription_of(org_id)
    assert sub is not None
    return {"plan_id": sub.plan_id, "status": sub.status, "cancel_at_period_end": sub.cancel_at_period_end,
            "applied_plan_id": sub.applied_plan_id, "interval": sub.interval,
            "period_end_set": sub.current_period_end is not None}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_triplicated_events_of_one_subscription_converge(http, local_suite, stripe_sandbox, seed):
    state = stripe_sandbox.state
    prices = json.loads(stripe_sandbox.env["LILY_STRIPE_PRICES"])
    org_id = ids.new_id("org")
    # Given one subscription's life: trial, first charge, upgrade, a failed and a recovered payment,
    # then a cancellation at period end
    sub_id = _subscribe(stripe_sandbox, org_id, "starter")
    with state.lock:
        state.advance(sub_id)
        item = state.subscriptions[sub_id]["items"]["data"][0]["id"]
        state.update_subscription(sub_id, {"items": [{"id": item, "price": prices["enterprise:month"]}],
                                           "proration_behavior": "create_prorations",
                                           "metadata": {"plan_id": "enterprise"}})
        state.payment_failed(sub_id)
        state.payment_succeeded(sub_id)
        state.update_subscription(sub_id, {"cancel_at_period_end": "true"})
    events = stripe_sandbox.state.take_outbox()
    assert len(events) >= 10
    # When every event arrives three times, in a random order
    delivery = [(body, {"Stripe-Signature": sign(body, SECRET)}) for body, _ in events] * 3
    random.Random(seed).shuffle(delivery)
    before_dupes = counter_value("stripe_webhooks_total", status="duplicate")
    post_events(http, delivery)
    drain(local_suite)
    # Then the organization ends in the subscription's real final state, whatever the order
    assert _normalised(org_id) == {"plan_id": "enterprise", "status": "active", "cancel_at_period_end": True,
                                   "applied_plan_id": "enterprise", "interval": "month", "period_end_set": True}
    allowed = sum(1 for t in event_types(events) if t in ALLOWED_EVENTS)
    assert counter_value("stripe_webhooks_total", status="duplicate") - before_dupes == 2 * allowed
    # And the period's end takes the plan away
    with state.lock:
        state.advance(sub_id)
    post_events(http, stripe_sandbox.state.take_outbox())
    drain(local_suite)
    assert _normalised(org_id)["status"] == "canceled"
    assert subscription_view(org_id).plan_id == "free"
