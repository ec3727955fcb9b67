"""Image worker: one SQS message per image job (see lily.images.generation)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

import lily.ai.images  # noqa: F401 - every job renders through the AI SDK: it loads at init (in the snapshot)
from lily.composition import image_ports
from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.images import generation
from lily.images.messages import DELIVERIES, ImageJobMessage
from lily.images.settings import images_settings

settings = get_settings()
images = images_settings()  # a bad model map (a banned or unknown model) fails the cold start, not a job


class ImageJobRecord(SqsRecordModel):
    body: Json[ImageJobMessage]


def record(record: ImageJobRecord) -> str:
    last = int(record.attributes.ApproximateReceiveCount) >= DELIVERIES  # the DLQ is next
    return generation.process(record.body, image_ports(), last_delivery=last)


handler = queue_handler(ImageJobRecord, record)
