"""The domain events a test caused: the envelopes waiting on the webhook_events queue (lily.core.events)."""

from __future__ import annotations

import json

from lily.core import queues
from lily.core.aws import client


def emitted() -> list[dict]:
    """Every envelope waiting on webhook_events (received and deleted)."""
    sqs, url, out = client("sqs"), queues.queue_url("webhook_events"), []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return out
        for m in got:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
