"""Publish worker: one SQS message per post target; partial batch failures (see lily.publishing.publisher)."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from lily.core.config import get_settings
from lily.core.handlers import message_body, queue_handler
from lily.publishing import publisher
from lily.publishing.messages import PublishMessage

settings = get_settings()


def record(record: SQSRecord) -> str:
    msg = PublishMessage.model_validate(message_body(record))
    try:
        outcome = publisher.process(msg)
    except publisher.ParkInDlq:
        publisher.expedite_redrive(record.receipt_handle)
        raise
    if outcome == "parked":
        publisher.expedite_redrive(record.receipt_handle)
        raise publisher.ParkInDlq(msg.target_id)
    return outcome


handler = queue_handler(record)
