"""The privacy queue's message: one export or erasure job to run (or resume)."""

from __future__ import annotations

from pydantic import Field

from lily.core import queues
from lily.core.schema import Schema
from lily.privacy.settings import privacy_settings


class PrivacyMessage(Schema):
    subject: str = Field(pattern=r"^(user|org)#[a-z]+_[0-9a-z]{26}$")
    job_id: str = Field(pattern=r"^p(exp|era)_[0-9a-z]{26}$")


def send(message: PrivacyMessage) -> None:
    queues.send(privacy_settings().queue, message.model_dump())
