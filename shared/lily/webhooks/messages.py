"""The two queues of outbound webhooks and their messages.

- ``webhook_events`` (:data:`lily.core.events.EVENTS_QUEUE`): domain event envelopes, from every capability's
  :func:`lily.core.events.emit`, to the fan-out worker (``functions/webhook_fanout``).
- ``webhook_deliveries``: one message per attempt of one delivery (``functions/webhook_delivery``); a retry is a
  new message delayed to its instant (SQS delays at most 15 minutes: a longer wait is delayed again on arrival).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pydantic import Field

from lily.core import clock, queues
from lily.core.schema import Schema

DELIVERIES_QUEUE = "webhook_deliveries"


class EventEnvelope(Schema):
    """A domain event as :func:`lily.core.events.envelope` builds it (version 1)."""

    id: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=64)
    created: str
    org_id: str = Field(min_length=1, max_length=128)
    data: dict[str, Any]
    v: int = 1


class DeliveryMessage(Schema):
    v: int = 1
    org_id: str = Field(min_length=1, max_length=128)
    subscription_id: str = Field(min_length=1, max_length=128)
    delivery_id: str = Field(min_length=1, max_length=128)
    round: int = Field(0, ge=0, description="The delivery's round this message belongs to (redelivery bumps it)")


def _delay(not_before: datetime | None) -> int:
    return 0 if not_before is None else max(0, math.ceil((not_before - clock.now()).total_seconds()))


def send(msg: DeliveryMessage, not_before: datetime | None = None) -> str:
    """Enqueue one attempt of a delivery, to be received at ``not_before`` (up to 15 minutes ahead)."""
    return queues.send(DELIVERIES_QUEUE, msg.model_dump(), delay_s=_delay(not_before))


def send_all(batch: list[DeliveryMessage]) -> None:
    """Enqueue first attempts, ten per SendMessageBatch; an entry SQS refuses is sent again on its own."""
    for i in queues.send_batch(DELIVERIES_QUEUE, [(msg.model_dump(), 0) for msg in batch]):
        send(batch[i])
