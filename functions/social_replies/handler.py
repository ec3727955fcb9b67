"""Worker for the social_replies queue: send the reply queued on one inbox item, exactly once
(:mod:`lily.social.inbox_replies`, :mod:`lily.core.once`). A record that is not the message is a batch item failure
(redelivered, then the DLQ); so is a worker that dies mid-call, whose message comes back to a takeover that
reconciles before calling again."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.core.config import get_settings
from lily.core.handlers import queue_handler
from lily.social import comments, inbox_replies
from lily.social.reply_messages import ReplyMessage

settings = get_settings()


class ReplyRecord(SqsRecordModel):
    body: Json[ReplyMessage]


def record(record: ReplyRecord) -> str:
    return inbox_replies.process(comments, record.body)  # the platforms, through the connection's tokens


handler = queue_handler(ReplyRecord, record)
