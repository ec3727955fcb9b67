"""Sending to Lily's SQS queues by their declared short name."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from lily.core.aws import client
from lily.core.config import get_settings, on_reset
from lily.core.observability import correlation_id


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


BATCH = 10  # SendMessageBatch's limit
MAX_DELAY_S = 900  # SQS DelaySeconds limit


def _attributes() -> dict[str, dict[str, str]]:
    cid = correlation_id()
    return {"correlation_id": {"DataType": "String", "StringValue": str(cid)}} if cid else {}


def _encode(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), default=str)


def _delay(delay_s: int) -> int:
    return max(0, min(int(delay_s), MAX_DELAY_S))


def send(short: str, body: dict[str, Any], delay_s: int = 0) -> str:
    """Enqueue a JSON message on queue ``short``; returns the message id."""
    resp = client("sqs").send_message(QueueUrl=queue_url(short), MessageBody=_encode(body),
                                      DelaySeconds=_delay(delay_s), MessageAttributes=_attributes())
    return resp["MessageId"]


def send_batch(short: str, batch: Sequence[tuple[dict[str, Any], int]]) -> list[int]:
    """Enqueue ``(body, delay_s)`` messages on queue ``short`` like :func:`send`, with one SendMessageBatch per
    ten; returns the positions in ``batch`` of the messages SQS refused (the caller decides what to do)."""
    url, attrs, refused = queue_url(short), _attributes(), []
    for start in range(0, len(batch), BATCH):
        entries = [{"Id": str(start + k), "MessageBody": _encode(body), "DelaySeconds": _delay(delay_s),
                    "MessageAttributes": attrs}
                   for k, (body, delay_s) in enumerate(batch[start:start + BATCH])]
        refused += [int(f["Id"]) for f in client("sqs").send_message_batch(QueueUrl=url, Entries=entries)
                    .get("Failed", [])]
    return refused


on_reset(_queue_url.cache_clear)
