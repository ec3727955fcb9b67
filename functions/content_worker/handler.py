"""Content worker: one SQS message per large generation answered 202 (see lily.content.jobs)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

import lily.ai.openai_client  # noqa: F401 - openai (~2 s) loads at cold start / in the snapshot, not per job
from lily.composition import content_ports
from lily.content import jobs
from lily.core.config import get_settings
from lily.core.handlers import queue_handler

settings = get_settings()


class ContentJobRecord(SqsRecordModel):
    body: Json[jobs.ContentJobMessage]


def record(record: ContentJobRecord) -> str:
    last = int(record.attributes.ApproximateReceiveCount) >= jobs.DELIVERIES  # the DLQ is next
    return jobs.process(record.body, content_ports(), last_delivery=last)


handler = queue_handler(ContentJobRecord, record)
