"""An organization's one Stripe customer: created on first use, found again by its Stripe id."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from lily.billing.models import Customer
from lily.billing.stripe_gateway import StripeGateway
from lily.core import clock
from lily.core.db import won


def customer_id_of(org_id: str) -> str | None:
    try:
        return Customer.get(org_id, consistent_read=True).customer_id
    except DoesNotExist:
        return None


def ensure_customer(org_id: str, email: str | None, gateway: StripeGateway) -> str:
    """The organization's one Stripe customer, created on first use."""
    existing = customer_id_of(org_id)
    if existing is not None:
        return existing
    # The same idempotency key for every first attempt: concurrent callers get the same customer.
    customer_id = gateway.create_customer(org_id, email, idempotency_key=f"lily-customer-{org_id}")
    record = Customer(org_id, customer_id=customer_id, created_at=clock.now())
    if not won(lambda: record.save(condition=Customer.org_id.does_not_exist())):
        return Customer.get(org_id, consistent_read=True).customer_id
    return customer_id


def customer_org(customer_id: str) -> str | None:
    for row in Customer.by_customer.query(customer_id, limit=1):
        return row.org_id
    return None
