"""Publish worker: one SQS message per post target; partial batch failures (see lily.publishing.publisher)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.composition import platform_gateway
from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.publishing import publisher
from lily.publishing.messages import PublishMessage
from lily.publishing.ports import PlatformGateway

# Primed on purpose (FunctionSpec.primes): every message opens its connection's token (cryptography) through the
# gateway, which imports the token store at first use.
from lily.social import tokens  # noqa: F401

settings = get_settings()


class PublishRecord(SqsRecordModel):
    body: Json[PublishMessage]


def handler_for(gateway: PlatformGateway) -> Callable[[dict, Any], dict]:
    """The worker, publishing through ``gateway`` (the deployment's below; the reliability harness passes its
    scripted platforms)."""

    def record(record: PublishRecord) -> str:
        msg = record.body
        try:
            outcome = publisher.process(msg, gateway)
        except publisher.ParkInDlq:
            publisher.expedite_redrive(record.receiptHandle)
            raise
        if outcome == "parked":
            publisher.expedite_redrive(record.receiptHandle)
            raise publisher.ParkInDlq(msg.target_id)
        return outcome

    return queue_handler(PublishRecord, record)


handler = handler_for(platform_gateway())  # the platforms: built at init, used by every message
