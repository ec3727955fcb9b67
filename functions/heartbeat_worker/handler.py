"""Queue worker: records each heartbeat; a malformed message fails alone and ends in the DLQ."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from lily.core.config import get_settings
from lily.core.handlers import message_body, queue_handler
from lily.health import service

settings = get_settings()


def record(record: SQSRecord) -> None:
    service.record_heartbeat(message_body(record))


handler = queue_handler(record)
