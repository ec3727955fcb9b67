"""The Stripe sandbox driven by the official ``stripe`` library, as Stripe's own clients drive api.stripe.com."""

from __future__ import annotations

from itertools import islice

import httpx
import pytest
import stripe

from lily.local.sandboxes.stripe import local_keys


@pytest.fixture
def client(stripe_sandbox) -> stripe.StripeClient:
    return stripe.StripeClient(local_keys()["api_key"], base_addresses={"api": stripe_sandbox.base_url},
                               max_network_retries=0)


def _subscribed(client: stripe.StripeClient, sandbox) -> stripe.Subscription:
    """A customer who completed checkout (the hosted page completes it), and their subscription."""
    cus = client.v1.customers.create({"email": "a@example.com"})
    session = client.v1.checkout.sessions.create({
        "mode": "subscription", "customer": cus.id, "success_url": "https://lily.example/ok",
        "line_items": [{"price": "price_lily_pro_month", "quantity": 1}]})
    assert httpx.get(session.url).status_code == 200
    return client.v1.subscriptions.retrieve(client.v1.checkout.sessions.retrieve(session.id).subscription)


def test_auto_paging_iter_walks_every_price_once_and_ends(client, stripe_sandbox):
    seen = [p.id for p in islice(client.v1.prices.list({"limit": 2}).auto_paging_iter(), 100)]  # a loop fails
    assert sorted(seen) == sorted(stripe_sandbox.state.prices) and len(seen) == len(set(seen)) == 6


def test_auto_paging_iter_walks_every_event_newest_first_and_ends(client, stripe_sandbox):
    for _ in range(3):
        _subscribed(client, stripe_sandbox)
    seen = [e.id for e in islice(client.v1.events.list({"limit": 3}).auto_paging_iter(), 1000)]
    assert seen == [e["id"] for e in reversed(stripe_sandbox.state.events)]
    assert len(seen) >= 12  # per checkout: subscription created, invoice created + paid, session completed
    one_type = list(islice(client.v1.events.list({"type": "invoice.paid", "limit": 1}).auto_paging_iter(), 100))
    paid = [e["id"] for e in reversed(stripe_sandbox.state.events) if e["type"] == "invoice.paid"]
    assert [e.id for e in one_type] == paid and len(paid) >= 3


def test_cursors_page_both_ways_and_refuse_unknown_objects(client):
    first = client.v1.prices.list({"limit": 3})
    second = client.v1.prices.list({"limit": 3, "starting_after": first.data[-1].id})
    assert first.has_more and not second.has_more
    back = client.v1.prices.list({"limit": 3, "ending_before": second.data[0].id})
    assert [p.id for p in back.data] == [p.id for p in first.data]
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.prices.list({"starting_after": "price_nope"})
    assert err.value.code == "resource_missing" and err.value.param == "starting_after"
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.prices.list({"limit": 101})
    assert err.value.param == "limit"


def test_expand_replaces_ids_with_objects_and_refuses_the_rest(client, stripe_sandbox):
    sub = _subscribed(client, stripe_sandbox)
    assert isinstance(sub.customer, str)
    full = client.v1.subscriptions.retrieve(sub.id, {"expand": ["customer", "latest_invoice"]})
    assert full.customer.object == "customer" and full.customer.email == "a@example.com"
    assert full.latest_invoice.object == "invoice" and full.latest_invoice.status == "paid"
    events = client.v1.events.list({"limit": 4, "expand": ["data.data.object.customer"]})
    assert len(events.data) == 4
    assert all(e.data.object["customer"]["object"] == "customer" for e in events.data)
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.subscriptions.retrieve(sub.id, {"expand": ["status"]})
    assert "cannot be expanded (status)" in str(err.value.user_message)
    assert isinstance(client.v1.subscriptions.retrieve(sub.id).customer, str)  # stored object untouched


def test_unknown_routes_answer_stripes_error_body(client, stripe_sandbox):
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.raw_request("get", "/v1/no_such_things")
    assert err.value.http_status == 404
    assert err.value.user_message.startswith("Unrecognized request URL (GET: /v1/no_such_things)")
    wrong_method = httpx.put(f"{stripe_sandbox.base_url}/v1/prices",
                             headers={"Authorization": f"Bearer {local_keys()['api_key']}"})
    assert wrong_method.status_code == 404
    assert wrong_method.json()["error"]["type"] == "invalid_request_error" and "detail" not in wrong_method.json()
