"""Worker for the webhook_events queue: each domain event becomes the deliveries of its organization's matching
subscriptions (lily.webhooks.fanout). A record that is not an event envelope is a batch item failure on its own."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.composition import webhook_ports
from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.webhooks import fanout
from lily.webhooks.messages import EventEnvelope

settings = get_settings()
ports = webhook_ports()


class EventRecord(SqsRecordModel):
    body: Json[EventEnvelope]


def record(record: EventRecord) -> int:
    return fanout.fan_out(ports, record.body)


handler = queue_handler(EventRecord, record)
