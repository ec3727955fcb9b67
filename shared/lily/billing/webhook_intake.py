"""Stripe webhook intake: verify the signature, keep only the events billing acts on, de-duplicate on the
event id and enqueue a small message for the billing worker. It answers fast; the worker does the rest."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from lily.billing.messages import BILLING_QUEUE, BillingMessage
from lily.billing.models import WebhookEvent
from lily.billing.schemas import WebhookAck
from lily.billing.settings import billing_settings, stripe_keys
from lily.billing.webhooks import SignatureError, verify
from lily.core import clock, queues
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, invalid
from lily.core.observability import count, logger

ALLOWED_EVENTS = frozenset({
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_failed",
})


def _subscription_ref(obj: dict[str, Any]) -> str | None:
    if obj.get("object") == "subscription":
        return obj.get("id")
    ref = obj.get("subscription")
    if not ref:  # current API versions: invoice.parent.subscription_details.subscription
        ref = (((obj.get("parent") or {}).get("subscription_details")) or {}).get("subscription")
    if isinstance(ref, dict):
        ref = ref.get("id")
    return ref


def _org_hint(obj: dict[str, Any]) -> str | None:
    meta = obj.get("metadata") or {}
    details = ((obj.get("parent") or {}).get("subscription_details")) or {}
    return meta.get("org_id") or obj.get("client_reference_id") or (details.get("metadata") or {}).get("org_id")


def accept_webhook(raw: bytes, signature: str | None) -> WebhookAck:
    """Verify, de-duplicate and enqueue one Stripe event."""
    try:
        verify(raw, signature, stripe_keys()["webhook_secret"], billing_settings().stripe_webhook_tolerance_s)
    except SignatureError as exc:
        count("webhook_signature_failures_total", platform="stripe")
        count("stripe_webhooks_total", event_type="unknown", status="bad_signature")
        logger.warning("stripe webhook signature rejected", extra={"reason": exc.reason})
        raise LilyError(ErrorCode.WEBHOOK_001, details={"reason": exc.reason}) from None
    try:
        event = json.loads(raw)
        event_id, event_type = str(event["id"]), str(event["type"])
        obj = event["data"]["object"]
    except (ValueError, KeyError, TypeError):
        raise invalid("Malformed Stripe event") from None
    if event_type not in ALLOWED_EVENTS:
        count("stripe_webhooks_total", event_type=event_type, status="ignored")
        return WebhookAck(status="ignored", event_id=event_id)
    now = clock.now()
    record = WebhookEvent(event_id, event_type=event_type, received_at=now,
                          expires_at=now + timedelta(days=billing_settings().billing_webhook_event_ttl_days))
    if not won(lambda: record.save(condition=WebhookEvent.event_id.does_not_exist())):
        count("stripe_webhooks_total", event_type=event_type, status="duplicate")
        logger.info("duplicate stripe event ignored", extra={"event_id": event_id, "event_type": event_type})
        return WebhookAck(status="duplicate", event_id=event_id)
    customer = obj.get("customer")
    message = BillingMessage(
        event_id=event_id, event_type=event_type, created=event.get("created"),
        subscription_id=_subscription_ref(obj), customer_id=customer if isinstance(customer, str) else None,
        org_id=_org_hint(obj), received_at=clock.iso(now),
    )
    queued = False
    try:
        queues.send(BILLING_QUEUE, message.model_dump())
        queued = True
    finally:
        if not queued:  # forget the event so Stripe's retry delivers it again
            record.delete()
    count("stripe_webhooks_total", event_type=event_type, status="accepted")
    logger.info("stripe event accepted", extra={"event_id": event_id, "event_type": event_type})
    return WebhookAck(status="accepted", event_id=event_id)
