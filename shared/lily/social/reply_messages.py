"""The ``social_replies`` queue's message: send the reply queued on one inbox item (:mod:`lily.social.inbox_replies`).
Put on the queue by ``POST .../inbox/{item_id}/reply`` and by the worker itself (a retry, a claim to wait for)."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import Field

from lily.core import clock, queues
from lily.core.schema import Schema

QUEUE = "social_replies"


class ReplyMessage(Schema):
    org_id: str = Field(min_length=1, max_length=128)
    item_id: str = Field(min_length=1, max_length=128)


def send(msg: ReplyMessage, not_before: datetime | None = None) -> str:
    """Enqueue ``msg`` to arrive at ``not_before`` (SQS delays up to 15 minutes; a later instant re-delays)."""
    delay = 0 if not_before is None else max(0, math.ceil((not_before - clock.now()).total_seconds()))
    return queues.send(QUEUE, msg.model_dump(), delay_s=delay)
