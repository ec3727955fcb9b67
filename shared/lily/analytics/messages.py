"""The analytics queue's message: collect one connection's published targets for one run (produced by
:mod:`lily.analytics.schedule`, consumed by the analytics worker)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from lily.core import queues
from lily.core.schema import Schema

QUEUE = "analytics"


class CollectMessage(Schema):
    org_id: str = Field(min_length=1, max_length=64)
    connection_id: str = Field(min_length=1, max_length=64)
    platform: str = Field(min_length=1, max_length=32)
    run_id: str = Field(pattern=r"^[a-z]+-[0-9A-Za-z_-]{1,40}$")
    since: datetime  # targets published at or after this instant


def send_all(messages: list[CollectMessage], delay_s: int = 0) -> int:
    """Enqueue the messages (ten per call); returns how many SQS refused."""
    refused = queues.send_batch(QUEUE, [(m.model_dump(mode="json"), delay_s) for m in messages])
    return len(refused)
