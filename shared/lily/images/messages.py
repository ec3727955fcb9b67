"""The image-jobs queue's message: which job of which organization to run."""

from __future__ import annotations

from pydantic import Field

from lily.core import queues
from lily.core.schema import Schema
from lily.images.settings import images_settings

DELIVERIES = 3  # SQS delivers a job's message this many times (the queue's maxReceiveCount), then dead-letters it


class ImageJobMessage(Schema):
    v: int = 1
    org_id: str = Field(min_length=1, max_length=128)
    job_id: str = Field(pattern=r"^imgjob_[0-9a-z]{26}$")


def send(msg: ImageJobMessage) -> str:
    return queues.send(images_settings().queue, msg.model_dump())
