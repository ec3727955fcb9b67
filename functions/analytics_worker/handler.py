"""Analytics worker: one SQS message per connection and run (see lily.analytics.collect)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.analytics import collect
from lily.analytics.messages import CollectMessage
from lily.composition import analytics_ports
from lily.core.config import get_settings
from lily.core.handlers import queue_handler

# Primed on purpose (FunctionSpec.primes): every message reads metrics through the platform adapters (httpx) with
# the connection's opened token (cryptography); lily.social.analytics_metrics imports them at first use.
from lily.social import platforms, tokens  # noqa: F401

settings = get_settings()
ports = analytics_ports()  # published targets, connections, platform metrics, plan: one per process


class CollectRecord(SqsRecordModel):
    body: Json[CollectMessage]


def record(record: CollectRecord) -> str:
    return collect.process(ports, record.body)


handler = queue_handler(CollectRecord, record)
