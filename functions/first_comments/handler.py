"""Worker for the first_comments queue: post one published target's first comment, exactly once
(:mod:`lily.publishing.first_comments`, :mod:`lily.core.once`). A record that is not the message is a batch item
failure (redelivered, then the DLQ); so is a worker that dies mid-call, whose message comes back to a takeover that
reconciles before commenting again."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.composition import platform_gateway
from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.publishing import first_comments
from lily.publishing.first_comment_messages import FirstCommentMessage
from lily.publishing.ports import PlatformGateway

# Primed on purpose (FunctionSpec.primes): every message comments with its connection's opened token (cryptography)
# through the gateway, which imports the comments module and the token store at first use.
from lily.social import comments  # noqa: F401

settings = get_settings()


class FirstCommentRecord(SqsRecordModel):
    body: Json[FirstCommentMessage]


def handler_for(gateway: PlatformGateway) -> Callable[[dict, Any], dict]:
    """The worker, commenting through ``gateway`` (the deployment's below; a test may pass another)."""

    def record(record: FirstCommentRecord) -> str:
        return first_comments.process(record.body, gateway)

    return queue_handler(FirstCommentRecord, record)


handler = handler_for(platform_gateway())  # the platforms: built at init, used by every message
