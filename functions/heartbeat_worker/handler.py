"""Queue worker: records each heartbeat; a malformed message fails alone and ends in the DLQ."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.health import service
from lily.health.service import Beat

settings = get_settings()


class HeartbeatRecord(SqsRecordModel):
    body: Json[Beat]


def record(record: HeartbeatRecord) -> None:
    service.record_heartbeat(record.body.model_dump())


handler = queue_handler(HeartbeatRecord, record)
