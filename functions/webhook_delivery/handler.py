"""Worker for the webhook_deliveries queue: one attempt per message (lily.webhooks.delivery). A delivery that
failed for 24 h keeps its message failing (ParkInDlq), so SQS's redrive moves it to the DLQ."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.webhooks import delivery
from lily.webhooks.messages import DeliveryMessage

settings = get_settings()


class DeliveryRecord(SqsRecordModel):
    body: Json[DeliveryMessage]


def record(record: DeliveryRecord) -> str:
    return delivery.process(record.body)


handler = queue_handler(DeliveryRecord, record)
