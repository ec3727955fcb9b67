"""Worker for the social_events queue (revocations, needs_reauth notices).

The two messages lily.social puts on the queue (:mod:`lily.social.messages`), parsed here at the edge: an unknown
kind or a missing field is a batch item failure (redelivered, then the DLQ), never a crash of the batch.
"""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.social import health
from lily.social.messages import SocialEventMessage

settings = get_settings()


class SocialEventRecord(SqsRecordModel):
    body: Json[SocialEventMessage]


def record(record: SocialEventRecord) -> str:
    return health.handle_event(record.body)


handler = queue_handler(SocialEventRecord, record)
