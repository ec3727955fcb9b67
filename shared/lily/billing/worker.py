"""The billing worker: for each queued Stripe event, re-fetch its subscription and derive the
organization's state from it (:func:`lily.billing.subscription_sync.sync_subscription`)."""

from __future__ import annotations

import time
from typing import Any

from lily.billing.customers import customer_org
from lily.billing.messages import BillingMessage
from lily.billing.ports import BillingPorts
from lily.billing.stripe_gateway import StripeGateway, stripe_gateway
from lily.billing.subscription_sync import sync_subscription
from lily.core import clock
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count, logger, observe


def process_event(ports: BillingPorts, raw: dict[str, Any], gateway: StripeGateway | None = None) -> str:
    """Handle one message; returns its outcome (``processed``, ``skipped`` or ``unmatched``)."""
    started = time.perf_counter()
    msg = BillingMessage.model_validate(raw)
    outcome = _process(ports, msg, gateway or stripe_gateway())
    count("stripe_webhooks_total", event_type=msg.event_type, status=outcome)
    observe("stripe_webhook_processing_seconds", time.perf_counter() - started, event_type=msg.event_type)
    return outcome


def _process(ports: BillingPorts, msg: BillingMessage, gateway: StripeGateway) -> str:
    if not msg.subscription_id:
        logger.info("stripe event without a subscription", extra={"event_id": msg.event_id})
        return "skipped"
    try:
        snap = gateway.retrieve_subscription(msg.subscription_id)
    except LilyError as exc:
        if exc.code == ErrorCode.VALIDATION_004:
            logger.warning("subscription of the event no longer exists", extra={"event_id": msg.event_id})
            return "skipped"
        raise
    org_id = snap.metadata.get("org_id") or msg.org_id or customer_org(snap.customer)
    if not org_id:
        logger.error("stripe subscription matches no organization",
                     extra={"event_id": msg.event_id, "subscription_id": snap.id})
        return "unmatched"
    if msg.event_type == "customer.subscription.trial_will_end":
        logger.info("trial ends soon", extra={"org_id": org_id, "trial_end": clock.iso(snap.trial_end)
                                              if snap.trial_end else None})
    sync_subscription(ports, org_id, snap)
    return "processed"
