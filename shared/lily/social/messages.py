"""The ``social_events`` queue's messages, declared next to their producer (connections, notices) and parsed by
the ``social_events`` worker at the edge: an unknown kind or a missing field is a batch item failure (redelivered,
then the DLQ), never a crash of the batch."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from lily.core import ids, queues
from lily.core.schema import Schema

QUEUE = "social_events"


class SocialEvent(Schema):
    event_id: str = Field(default_factory=ids.ulid, min_length=1, max_length=128)
    org_id: str = Field(min_length=1, max_length=128)
    connection_id: str = Field(min_length=1, max_length=128)
    platform: str = Field(min_length=1, max_length=32)


class NeedsReauth(SocialEvent):
    """A connection moved to needs_reauth: record a notice for the organization."""

    kind: Literal["needs_reauth"] = "needs_reauth"
    account_name: str | None = None
    reason: str | None = None


class Revoke(SocialEvent):
    """A disconnected grant: revoke it at the platform (the tokens travel as KMS envelopes only)."""

    kind: Literal["revoke"] = "revoke"
    access_envelope: str = Field(min_length=1)
    refresh_envelope: str | None = None


SocialEventMessage = Annotated[NeedsReauth | Revoke, Field(discriminator="kind")]


def send(event: NeedsReauth | Revoke) -> str:
    return queues.send(QUEUE, event.model_dump())
