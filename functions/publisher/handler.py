"""Publish worker: one SQS message per post target; partial batch failures (see lily.publishing.publisher)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.publishing import publisher
from lily.publishing.messages import PublishMessage

settings = get_settings()


class PublishRecord(SqsRecordModel):
    body: Json[PublishMessage]


def record(record: PublishRecord) -> str:
    msg = record.body
    try:
        outcome = publisher.process(msg)
    except publisher.ParkInDlq:
        publisher.expedite_redrive(record.receiptHandle)
        raise
    if outcome == "parked":
        publisher.expedite_redrive(record.receiptHandle)
        raise publisher.ParkInDlq(msg.target_id)
    return outcome


handler = queue_handler(PublishRecord, record)
