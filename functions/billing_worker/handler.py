"""Queue worker for Stripe events: state comes from the subscription as Stripe has it now."""

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from lily.billing import service
from lily.core.config import get_settings
from lily.core.handlers import message_body, queue_handler

settings = get_settings()


def record(record: SQSRecord) -> str:
    return service.process_event(message_body(record))


handler = queue_handler(record)
