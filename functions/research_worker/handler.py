"""Research worker: one SQS message per research job (see lily.research.run)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

import lily.ai.openai_client  # noqa: F401 - openai (~2 s) loads at cold start / in the snapshot, not per request
from lily.composition import research_ports
from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.research import run
from lily.research.messages import DELIVERIES, RunMessage

settings = get_settings()
ports = research_ports()  # AI, embedder, published posts, engagement, plan gate: one per process


class RunRecord(SqsRecordModel):
    body: Json[RunMessage]


def record(record: RunRecord) -> str:
    last = int(record.attributes.ApproximateReceiveCount) >= DELIVERIES  # the DLQ is next
    return run.process(record.body, ports, last_delivery=last)


handler = queue_handler(RunRecord, record)
