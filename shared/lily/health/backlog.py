"""Backlog gauges: every queue's dead-letter depth as ``dlq_items_total{queue}``, every five minutes.

CloudWatch has each DLQ's ``ApproximateNumberOfMessagesVisible`` too (the per-DLQ alarms watch it); this puts the
backlog beside Lily's own metrics, in the ``Lily`` namespace with the queue as a dimension, where the SRE dashboard
and one alarm over every queue read it (``SELECT MAX(dlq_items_total) FROM "Lily" GROUP BY queue``).

:data:`WATCHED_QUEUES` is what the ``heartbeat`` function may read (its wiring's ``dlqs_probe``); a unit test
holds it to the queues the functions declare, so a new queue is watched from the day it is added.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from lily.core import queues
from lily.core.aws import client
from lily.core.observability import logger, observe

WATCHED_QUEUES = ("analytics", "autopilot", "billing_events", "content_jobs", "first_comments", "heartbeat",
                  "image_jobs", "imports", "privacy", "publish", "research", "social_events", "social_inbound",
                  "social_replies", "webhook_deliveries", "webhook_events")


def dlq_depth(queue: str) -> int:
    attrs = client("sqs").get_queue_attributes(QueueUrl=queues.dlq_url(queue),
                                               AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"].get("ApproximateNumberOfMessages", 0))


def report_dlq_depths(watched: tuple[str, ...] = WATCHED_QUEUES) -> dict[str, int | None]:
    """Emit ``dlq_items_total{queue}`` for each watched queue; a queue that cannot be read is logged, reported as
    None and the others still go out."""
    depths: dict[str, int | None] = {}
    for queue in watched:
        try:
            depths[queue] = dlq_depth(queue)
        except Exception as exc:  # noqa: BLE001 - boundary: one unreadable queue must not hide the others
            logger.warning("dlq depth unreadable", extra={"queue": queue, "error_type": type(exc).__name__})
            depths[queue] = None
            continue
        observe("dlq_items_total", depths[queue], unit=MetricUnit.Count, queue=queue)
    return depths
