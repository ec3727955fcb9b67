"""A subscription's deliveries through the API: list, read one (with its attempts), redeliver one, replay since an
instant.

Redelivering or replaying starts a new ``round`` of a delivery: status ``pending``, no attempts, a fresh 24 h
retry window, and a new message. Messages of the earlier round (a retry still delayed in the queue) are ignored by
the worker, so a delivery is never attempted twice at once. A delivery being attempted right now (a live lease)
is not restarted: redelivering it answers 409; a replay leaves it to finish.
"""

from __future__ import annotations

from lily.core import clock, ids
from lily.core.db import won
from lily.core.errors import conflict, not_found
from lily.core.observability import count
from lily.core.pages import PageParams, query_page
from lily.webhooks import messages, subscriptions
from lily.webhooks.fanout import owner_of
from lily.webhooks.messages import DeliveryMessage
from lily.webhooks.models import WebhookDelivery
from lily.webhooks.ports import WebhookPorts
from lily.webhooks.schemas import DeliveryAttemptOut, DeliveryDetail, DeliveryOut, DeliveryPage, ReplayIn, ReplayOut
from lily.webhooks.settings import webhook_settings


def _out(d: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(delivery_id=d.delivery_id, subscription_id=d.subscription_id, event_id=d.event_id,
                       event_type=d.event_type, status=d.status, round=int(d.round), attempts=int(d.attempts or 0),
                       next_attempt_at=d.next_attempt_at, last_status_code=d.last_status_code,
                       last_latency_ms=d.last_latency_ms, last_error=d.last_error, created_at=d.created_at,
                       delivered_at=d.delivered_at)


def list_deliveries(org_id: str, subscription_id: str, page: PageParams) -> DeliveryPage:
    """Newest first. The subscription must exist in the organization (404 otherwise)."""
    subscriptions.load(org_id, subscription_id)
    owner = owner_of(org_id, subscription_id)
    items, cursor = query_page(
        lambda start, n: WebhookDelivery.query(owner, scan_index_forward=False, last_evaluated_key=start, limit=n),
        {"owner": owner}, page, _out)
    return DeliveryPage(items=items, next_cursor=cursor)


def _load(org_id: str, subscription_id: str, delivery_id: str) -> WebhookDelivery:
    try:
        return WebhookDelivery.get(owner_of(org_id, subscription_id), delivery_id, consistent_read=True)
    except WebhookDelivery.DoesNotExist:
        raise not_found("delivery", delivery_id=delivery_id) from None


def get_delivery(org_id: str, subscription_id: str, delivery_id: str) -> DeliveryDetail:
    d = _load(org_id, subscription_id, delivery_id)
    return DeliveryDetail(**_out(d).model_dump(), body=d.body,
                          log=[DeliveryAttemptOut.model_validate(e) for e in (d.log or [])])


def _restart(d: WebhookDelivery) -> bool:
    """Start a new round of ``d`` unless an attempt holds it now; True when this call did."""
    now = clock.now()
    idle = WebhookDelivery.lease_until.does_not_exist() | (WebhookDelivery.lease_until < now)
    return won(lambda: d.update(
        actions=[WebhookDelivery.round.set(int(d.round) + 1), WebhookDelivery.status.set("pending"),
                 WebhookDelivery.attempts.set(0), WebhookDelivery.first_attempt_at.remove(),
                 WebhookDelivery.next_attempt_at.remove(), WebhookDelivery.lease_until.remove()],
        condition=(WebhookDelivery.round == int(d.round)) & idle))


def _message(d: WebhookDelivery) -> DeliveryMessage:
    return DeliveryMessage(org_id=d.org_id, subscription_id=d.subscription_id, delivery_id=d.delivery_id,
                           round=int(d.round) + 1)


def _enabled(ports: WebhookPorts, org_id: str, subscription_id: str) -> None:
    ports.gate.require(org_id)
    sub = subscriptions.load(org_id, subscription_id)
    if not sub.enabled:
        raise conflict("the webhook is disabled; enable it first", subscription_id=subscription_id)


def redeliver(ports: WebhookPorts, org_id: str, subscription_id: str, delivery_id: str) -> DeliveryOut:
    _enabled(ports, org_id, subscription_id)
    d = _load(org_id, subscription_id, delivery_id)
    msg = _message(d)
    if not _restart(d):
        raise conflict("the delivery is being attempted right now; try again in a moment", delivery_id=delivery_id)
    messages.send(msg)
    count("webhook_redeliveries_total", how="one")
    return _out(_load(org_id, subscription_id, delivery_id))


def replay(ports: WebhookPorts, org_id: str, subscription_id: str, body: ReplayIn) -> ReplayOut:
    """Send again every delivery of events at or after ``body.since`` (oldest first, at most ``replay_max``)."""
    _enabled(ports, org_id, subscription_id)
    limit = webhook_settings().replay_max
    floor = "dlv_" + ids.ulid_floor(body.since.timestamp())
    found = WebhookDelivery.query(owner_of(org_id, subscription_id), WebhookDelivery.delivery_id >= floor,
                                  limit=limit + 1)
    batch: list[DeliveryMessage] = []
    truncated = False
    for i, d in enumerate(found):
        if i == limit:
            truncated = True
            break
        msg = _message(d)
        if _restart(d):
            batch.append(msg)
    if batch:
        messages.send_all(batch)
    count("webhook_redeliveries_total", value=len(batch), how="replay")
    return ReplayOut(replayed=len(batch), truncated=truncated)
