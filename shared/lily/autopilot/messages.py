"""The autopilot queue's message: one run of one org (the schedule's fan-out and manual runs)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from lily.autopilot.settings import autopilot_settings
from lily.core import queues


class RunMessage(BaseModel):
    v: int = 1
    org_id: str = Field(min_length=1, max_length=128)
    run_id: str = Field(min_length=1, max_length=128)


def send(msg: RunMessage) -> None:
    queues.send(autopilot_settings().queue, msg.model_dump(mode="json"))
