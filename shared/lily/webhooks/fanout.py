"""The fan-out worker's use case: one domain event → one delivery per subscription of its organization that names
its type.

- An organization whose plan lacks outbound webhooks gets none (``webhook_events_skipped_total{reason="plan"}``).
- An enabled subscription gets a ``pending`` delivery and a message on ``webhook_deliveries``; a disabled one gets
  a ``skipped`` delivery (no message), so a replay after re-enabling it sends what it missed.
- The delivery's put is conditional on absence, so an event the queue hands over twice makes no second delivery. A
  delivery that exists but was never attempted (the previous fan-out stopped between its put and its send) gets its
  message again; the worker's claim makes a duplicate message harmless.
"""

from __future__ import annotations

import json
from datetime import timedelta

from lily.core import clock
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count, logger
from lily.webhooks import messages
from lily.webhooks.messages import DeliveryMessage, EventEnvelope
from lily.webhooks.models import WebhookDelivery, WebhookSubscription
from lily.webhooks.ports import WebhookPorts
from lily.webhooks.settings import webhook_settings


def delivery_id_of(event_id: str) -> str:
    """``dlv_`` + the event's ULID: one delivery per event and subscription, in the event's time order."""
    return "dlv_" + event_id.partition("_")[2]


def owner_of(org_id: str, subscription_id: str) -> str:
    return f"{org_id}#{subscription_id}"


def _delivery(env: EventEnvelope, sub: WebhookSubscription, body: str) -> WebhookDelivery:
    now = clock.now()
    return WebhookDelivery(
        owner_of(env.org_id, sub.subscription_id), delivery_id_of(env.id), org_id=env.org_id,
        subscription_id=sub.subscription_id, event_id=env.id, event_type=env.type, body=body,
        status="pending" if sub.enabled else "skipped", round=0, attempts=0, log=[], created_at=now,
        expires_at=now + timedelta(days=webhook_settings().kept_days))


def fan_out(ports: WebhookPorts, env: EventEnvelope) -> int:
    """Create the event's deliveries and queue their first attempts; returns how many were queued."""
    # The organization's subscriptions (a Query; at most max_per_org). Not through lily.webhooks.subscriptions:
    # that module opens secrets (cryptography), which the fan-out never needs at its cold start.
    matching = [s for s in WebhookSubscription.query(env.org_id) if env.type in (s.events or ())]
    if not matching:
        return 0
    try:
        ports.gate.require(env.org_id)
    except LilyError as exc:
        if exc.code != ErrorCode.PLAN_001:
            raise
        count("webhook_events_skipped_total", reason="plan")
        return 0
    # The bytes every attempt signs: compact JSON of the envelope, the same for each subscription.
    body = json.dumps(env.model_dump(), separators=(",", ":"), ensure_ascii=False)
    queued: list[DeliveryMessage] = []
    for sub in matching:
        d = _delivery(env, sub, body)
        fresh = won(lambda d=d: d.save(condition=WebhookDelivery.delivery_id.does_not_exist()))
        if not fresh:
            d = WebhookDelivery.get(d.owner, d.delivery_id, consistent_read=True)
            if not (d.status == "pending" and d.round == 0 and not d.attempts):
                continue  # attempted already: its own messages carry it on
        if d.status == "pending":
            queued.append(DeliveryMessage(org_id=env.org_id, subscription_id=sub.subscription_id,
                                          delivery_id=d.delivery_id, round=0))
    if queued:
        messages.send_all(queued)
    count("webhook_deliveries_created_total", value=len(queued), type=env.type)
    logger.info("event fanned out", extra={"event_id": env.id, "type": env.type, "org_id": env.org_id,
                                           "deliveries": len(queued)})
    return len(queued)
