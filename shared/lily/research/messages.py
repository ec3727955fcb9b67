"""The research queue's message (produced by :mod:`lily.research.jobs`, consumed by the research worker)."""

from __future__ import annotations

from pydantic import Field

from lily.core.schema import Schema

QUEUE = "research"
DELIVERIES = 3  # SQS delivers a run's message this many times (the queue's maxReceiveCount), then dead-letters it


class RunMessage(Schema):
    org_id: str = Field(min_length=1, max_length=64)
    job_id: str = Field(pattern=r"^rjb_[0-9a-z]{26}$")
