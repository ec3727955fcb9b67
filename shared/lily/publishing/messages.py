"""The publish queue's message: which target, for which dispatch."""

from __future__ import annotations

import json
import math
from datetime import datetime

from pydantic import BaseModel, Field

from lily.core import clock, queues
from lily.core.aws import client
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


BATCH = 10  # SendMessageBatch's limit


def _delay(not_before: datetime | None) -> int:
    if not_before is None:
        return 0
    return min(MAX_DELAY_S, max(0, math.ceil((not_before - clock.now()).total_seconds())))


def send(msg: PublishMessage, not_before: datetime | None = None) -> str:
    """Enqueue ``msg`` to be received at ``not_before`` (to the second, up to 15 minutes ahead)."""
    return queues.send(publishing_settings().queue, msg.model_dump(), delay_s=_delay(not_before))


def send_all(batch: list[tuple[PublishMessage, datetime | None]]) -> None:
    """Enqueue several messages (each at its own instant) with one SendMessageBatch per ten; an entry SQS
    refuses is sent again on its own."""
    url = queues.queue_url(publishing_settings().queue)
    for i in range(0, len(batch), BATCH):
        chunk = batch[i:i + BATCH]
        entries = [{"Id": str(k), "DelaySeconds": _delay(at),
                    "MessageBody": json.dumps(msg.model_dump(), separators=(",", ":"), default=str)}
                   for k, (msg, at) in enumerate(chunk)]
        for failed in client("sqs").send_message_batch(QueueUrl=url, Entries=entries).get("Failed", []):
            send(*chunk[int(failed["Id"])])
