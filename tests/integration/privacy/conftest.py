"""Privacy fixtures: the X and Stripe sandboxes (grants revoked, subscriptions cancelled there), started once per
test process; every platform token and Stripe call of an erasure reaches them through Lily's real clients."""

from __future__ import annotations

import json

import pytest

from tests.support.sandboxes import reset_between, running_sandboxes


@pytest.fixture(scope="session", autouse=True)
def privacy_sandboxes():
    with running_sandboxes(["x", "stripe"], {"LILY_SOCIAL_HTTP_TIMEOUT_S": "6",
                                             "LILY_STRIPE_SANDBOX_WEBHOOK_URL": ""}) as started:
        yield started


@pytest.fixture
def sandboxes(privacy_sandboxes, lily_env, monkeypatch):
    from lily.core.config import reset_settings

    for key, value in privacy_sandboxes["stripe"].env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    with reset_between({"x": privacy_sandboxes["x"]}):
        privacy_sandboxes["stripe"].state.take_outbox()
        yield privacy_sandboxes


def subscribe(stripe_sandbox, org_id: str, plan: str = "pro") -> str:
    """A paid subscription of ``org_id`` in the Stripe sandbox, applied in Lily as the billing worker would."""
    from lily.billing.models import Subscription

    state = stripe_sandbox.state
    prices = json.loads(stripe_sandbox.env["LILY_STRIPE_PRICES"])
    with state.lock:
        cus = "cus_" + org_id[-12:]
        state.customers[cus] = {"id": cus, "object": "customer", "metadata": {"org_id": org_id}}
        sid = "cs_test_" + org_id[-20:]
        state.sessions[sid] = {"id": sid, "object": "checkout.session", "status": "open", "customer": cus,
                               "mode": "subscription", "client_reference_id": org_id, "metadata": {"org_id": org_id},
                               "success_url": "https://app.example/s", "expires_at": 4102444800}
        state.session_subscription_data[sid] = {"price": prices[f"{plan}:month"],
                                                "metadata": {"org_id": org_id, "plan_id": plan}}
        sub_id = state.complete_checkout(sid)["subscription"]
    state.take_outbox()
    Subscription(org_id, plan_id=plan, applied_plan_id=plan, status="active", stripe_customer_id=cus,
                 stripe_subscription_id=sub_id).save()
    return sub_id
