"""Sending to Lily's SQS queues by their declared short name."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from lily.core.aws import client
from lily.core.config import get_settings, on_reset
from lily.core.observability import logger


@cache
def _queue_url(name: str, endpoint: str | None) -> str:
    del endpoint  # part of the cache key only
    return client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def queue_url(short: str) -> str:
    s = get_settings()
    return _queue_url(s.queue_name(short), s.aws_endpoint_url)


def dlq_url(short: str) -> str:
    """The dead-letter queue of queue ``short`` (admin tools that drain it)."""
    s = get_settings()
    return _queue_url(s.dlq_name(short), s.aws_endpoint_url)


def send(short: str, body: dict[str, Any], delay_s: int = 0) -> str:
    """Enqueue a JSON message on queue ``short``; returns the message id."""
    attrs = {}
    cid = logger.get_correlation_id()
    if cid:
        attrs["correlation_id"] = {"DataType": "String", "StringValue": str(cid)}
    resp = client("sqs").send_message(
        QueueUrl=queue_url(short),
        MessageBody=json.dumps(body, separators=(",", ":"), default=str),
        DelaySeconds=max(0, min(int(delay_s), 900)),
        MessageAttributes=attrs,
    )
    return resp["MessageId"]


on_reset(_queue_url.cache_clear)
