"""The publish queue's message: which target, for which dispatch."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import Field

from lily.core import clock, queues
from lily.core.schema import Schema
from lily.publishing.settings import publishing_settings


class PublishMessage(Schema):
    v: int = 1
    org_id: str = Field(min_length=1, max_length=128)
    post_id: str = Field(min_length=1, max_length=128)
    target_id: str = Field(min_length=1, max_length=128)
    dispatch_id: str = Field(min_length=1, max_length=128)
    reason: str = Field("dispatch", description="dispatch | retry | defer | watchdog | requeue")
    place: float | None = Field(None, description="The place in the account's pacing line this message holds")


def _delay(not_before: datetime | None) -> int:
    """Seconds until ``not_before``; queues clamps it to SQS's 0–900 s and a longer wait re-delays on arrival."""
    return 0 if not_before is None else math.ceil((not_before - clock.now()).total_seconds())


def send(msg: PublishMessage, not_before: datetime | None = None) -> str:
    """Enqueue ``msg`` to be received at ``not_before`` (to the second, up to 15 minutes ahead)."""
    return queues.send(publishing_settings().queue, msg.model_dump(), delay_s=_delay(not_before))


def send_all(batch: list[tuple[PublishMessage, datetime | None]]) -> None:
    """Enqueue several messages (each at its own instant) with one SendMessageBatch per ten; an entry SQS
    refuses is sent again on its own."""
    for i in queues.send_batch(publishing_settings().queue, [(msg.model_dump(), _delay(at)) for msg, at in batch]):
        send(*batch[i])
