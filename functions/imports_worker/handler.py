"""Imports worker: one SQS message per chunk of an import's rows (see lily.publishing.bulk_import)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.composition import scheduling_ports
from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.publishing import bulk_import
from lily.publishing.bulk_import import ImportChunk

settings = get_settings()
ports = scheduling_ports()  # platforms, quotas (posts/day, media storage), zones, plan gate: one per process


class ChunkRecord(SqsRecordModel):
    body: Json[ImportChunk]


def record(record: ChunkRecord) -> str:
    return bulk_import.process(ports, record.body)


handler = queue_handler(ChunkRecord, record)
