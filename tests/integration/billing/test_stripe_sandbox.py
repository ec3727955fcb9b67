"""The local Stripe speaks Stripe: idempotency replays, idempotency_error, error bodies, auth."""

from __future__ import annotations

import json

import httpx
import pytest

from lily import composition
from lily.billing.checkout import start_checkout
from lily.billing.stripe_gateway import StripeClientGateway
from lily.core import ids
from lily.core.errors import LilyError
from lily.local.sandboxes.stripe import local_keys


def _gateway(sandbox) -> StripeClientGateway:
    return StripeClientGateway(local_keys()["api_key"], sandbox.base_url)


def test_the_same_idempotency_key_replays_and_other_params_are_refused(stripe_sandbox):
    g = _gateway(stripe_sandbox)
    first = g.create_customer("org_a", None, "key-1")
    assert g.create_customer("org_a", None, "key-1") == first  # replayed
    with pytest.raises(LilyError) as err:
        g.create_customer("org_b", None, "key-1")  # same key, other parameters
    assert err.value.code.value == "EXTERNAL_002"


def test_a_retried_checkout_with_the_same_client_key_returns_the_same_session(stripe_sandbox):
    org_id = ids.new_id("org")
    ports = composition.billing_ports()
    one = start_checkout(ports, org_id, "pro", request_key="client-key-1", gateway=_gateway(stripe_sandbox))
    two = start_checkout(ports, org_id, "pro", request_key="client-key-1", gateway=_gateway(stripe_sandbox))
    assert one.session_id == two.session_id
    three = start_checkout(ports, org_id, "pro", "year", request_key="client-key-1", gateway=_gateway(stripe_sandbox))
    assert three.session_id != one.session_id and three.trial_days == 14


def test_stripe_shaped_errors_and_authentication(stripe_sandbox):
    base = stripe_sandbox.base_url
    auth = {"Authorization": f"Bearer {local_keys()['api_key']}"}
    missing = httpx.get(f"{base}/v1/subscriptions/sub_nope", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["error"] | {"doc_url": None} == {
        "type": "invalid_request_error", "code": "resource_missing", "param": "id",
        "message": "No such subscription: 'sub_nope'", "doc_url": None}
    assert httpx.get(f"{base}/v1/prices", headers={"Authorization": "Bearer sk_test_wrong"}).status_code == 401
    bad = httpx.post(f"{base}/v1/checkout/sessions", headers=auth,
                     data={"mode": "subscription", "success_url": "https://x", "line_items[0][price]": "price_nope"})
    assert bad.status_code == 404 and bad.json()["error"]["param"] == "line_items[0][price]"
    prices = json.loads(stripe_sandbox.env["LILY_STRIPE_PRICES"])
    assert set(prices) == {f"{p}:{i}" for p in ("starter", "pro", "enterprise") for i in ("month", "year")}
