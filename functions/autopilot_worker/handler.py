"""Autopilot worker: one SQS message per run, or a look at a finished run's image jobs (see lily.autopilot.run)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from typing import Annotated

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Field, Json

import lily.ai.openai_client  # noqa: F401 - openai loads at cold start / in the snapshot: every run writes with it
from lily.autopilot import run
from lily.autopilot.messages import ImagesMessage, RunMessage
from lily.composition import autopilot_ports
from lily.core.config import get_settings
from lily.core.handlers import queue_handler

settings = get_settings()
ports = autopilot_ports()  # plan, quotas, research, best times, the content pipeline, publishing: one per process


class RunRecord(SqsRecordModel):
    # an images look names its kind; a run message (no kind) is the other
    body: Json[Annotated[ImagesMessage | RunMessage, Field(union_mode="left_to_right")]]


def record(record: RunRecord) -> str:
    if isinstance(record.body, ImagesMessage):
        return run.check_images(ports, record.body.org_id, record.body.run_id, record.body.look)
    return run.execute(ports, record.body.org_id, record.body.run_id)


handler = queue_handler(RunRecord, record)
