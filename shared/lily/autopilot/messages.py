"""The autopilot queue's messages: one run of one org (the schedule's fan-out and manual runs), and a look at a
finished run's image jobs (sent by the run, delayed; again while one is still running)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lily.autopilot.settings import autopilot_settings
from lily.core import queues
from lily.core.schema import Schema


class RunMessage(Schema):
    v: int = 1
    org_id: str = Field(min_length=1, max_length=128)
    run_id: str = Field(min_length=1, max_length=128)


class ImagesMessage(Schema):
    v: int = 1
    kind: Literal["images"]
    org_id: str = Field(min_length=1, max_length=128)
    run_id: str = Field(min_length=1, max_length=128)
    look: int = Field(1, ge=1, le=1000)


def send(msg: RunMessage | ImagesMessage, delay_s: int = 0) -> None:
    queues.send(autopilot_settings().queue, msg.model_dump(mode="json"), delay_s=delay_s)
