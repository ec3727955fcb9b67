"""Queue worker: one export or erasure job per message; an erasure resumes at its first step not done."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.composition import privacy_ports
from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.privacy import worker
from lily.privacy.messages import PrivacyMessage

settings = get_settings()
ports = privacy_ports()


class PrivacyRecord(SqsRecordModel):
    body: Json[PrivacyMessage]


def record(record: PrivacyRecord) -> str:
    return worker.process(ports, record.body)


handler = queue_handler(PrivacyRecord, record)
