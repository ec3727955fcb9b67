"""Worker for the social_inbound queue: one engagement a platform webhook reported, stored as a raw engagement
event for each organization connected to its account (:mod:`lily.social.inbound`). A record that is not the message
is a batch item failure (redelivered, then the DLQ)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.social import inbound
from lily.social.inbound_messages import InboundEngagement

settings = get_settings()


class InboundRecord(SqsRecordModel):
    body: Json[InboundEngagement]


def record(record: InboundRecord) -> str:
    return inbound.store(record.body)


handler = queue_handler(InboundRecord, record)
