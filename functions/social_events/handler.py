"""Worker for the social_events queue (revocations, needs_reauth notices).

The two messages lily.social puts on the queue, parsed here at the edge: an unknown kind or a missing
field is a batch item failure (redelivered, then the DLQ), never a crash of the batch.
"""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from typing import Annotated, Literal

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, Field, Json

from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.social import health

settings = get_settings()


class SocialEvent(BaseModel):
    event_id: str = Field(min_length=1, max_length=128)
    org_id: str = Field(min_length=1, max_length=128)
    connection_id: str = Field(min_length=1, max_length=128)
    platform: str = Field(min_length=1, max_length=32)


class NeedsReauth(SocialEvent):
    """A connection moved to needs_reauth: record a notice for the organization."""

    kind: Literal["needs_reauth"]
    account_name: str | None = None
    reason: str | None = None


class Revoke(SocialEvent):
    """A disconnected grant: revoke it at the platform (the tokens travel as KMS envelopes only)."""

    kind: Literal["revoke"]
    access_envelope: str = Field(min_length=1)
    refresh_envelope: str | None = None


class SocialEventRecord(SqsRecordModel):
    body: Json[Annotated[NeedsReauth | Revoke, Field(discriminator="kind")]]


def record(record: SocialEventRecord) -> str:
    return health.handle_event(record.body.model_dump())


handler = queue_handler(SocialEventRecord, record)
