"""The publish queue's message: which target, for which dispatch."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import BaseModel, Field

from lily.core import clock, queues
from lily.publishing.settings import publishing_settings

MAX_DELAY_S = 900  # SQS DelaySeconds limit; longer waits re-delay on arrival


class PublishMessage(BaseModel):
    v: int = 1
    org_id: str = Field(min_length=1, max_length=128)
    post_id: str = Field(min_length=1, max_length=128)
    target_id: str = Field(min_length=1, max_length=128)
    dispatch_id: str = Field(min_length=1, max_length=128)
    reason: str = Field("dispatch", description="dispatch | retry | defer | watchdog | requeue")
    place: float | None = Field(None, description="The place in the account's pacing line this message holds")


def send(msg: PublishMessage, not_before: datetime | None = None) -> str:
    """Enqueue ``msg`` to be received at ``not_before`` (to the second, up to 15 minutes ahead)."""
    delay = 0
    if not_before is not None:
        delay = min(MAX_DELAY_S, max(0, math.ceil((not_before - clock.now()).total_seconds())))
    return queues.send(publishing_settings().queue, msg.model_dump(), delay_s=delay)
