"""The ``first_comments`` queue's message: post the first comment of one published target
(:mod:`lily.publishing.first_comments`). Sent by the publisher once the post is out, and by the worker itself
(a retry, a claim to wait for)."""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import Field

from lily.core import clock, queues
from lily.core.schema import Schema

QUEUE = "first_comments"


class FirstCommentMessage(Schema):
    org_id: str = Field(min_length=1, max_length=128)
    post_id: str = Field(min_length=1, max_length=128)
    target_id: str = Field(min_length=1, max_length=128)


def send(msg: FirstCommentMessage, not_before: datetime | None = None) -> str:
    delay = 0 if not_before is None else max(0, math.ceil((not_before - clock.now()).total_seconds()))
    return queues.send(QUEUE, msg.model_dump(), delay_s=delay)
