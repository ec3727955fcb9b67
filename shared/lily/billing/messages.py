"""The message the Stripe webhook intake puts on the ``billing_events`` queue for the billing worker."""

from __future__ import annotations

from lily.core.schema import Schema

BILLING_QUEUE = "billing_events"


class BillingMessage(Schema):
    event_id: str
    event_type: str
    subscription_id: str | None = None
    customer_id: str | None = None
    org_id: str | None = None
    created: int | None = None
    received_at: str | None = None
