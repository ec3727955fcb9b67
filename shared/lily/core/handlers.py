"""Lambda entry points for queue workers and scheduled jobs (HTTP: :func:`lily.core.http.http_handler`).

Kept free of FastAPI so workers do not import a web framework at cold start.

Decorator order (outermost first): logger context with correlation id, metrics, tracer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from lily.core.observability import logger, metrics, tracer


def message_body(record: SQSRecord) -> dict[str, Any]:
    """The JSON body of an SQS record; a malformed body raises ValueError (the message is retried, then DLQ'd)."""
    body = json.loads(record.body)
    if not isinstance(body, dict):
        raise ValueError("message body must be a JSON object")
    return body


def queue_handler(record_handler: Callable[[SQSRecord], Any]) -> Callable[[dict, Any], dict]:
    """An SQS worker reporting partial batch failures (``ReportBatchItemFailures``)."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def _one(record: SQSRecord) -> Any:
        cid = (record.raw_event.get("messageAttributes") or {}).get("correlation_id") or {}
        logger.set_correlation_id(cid.get("stringValue") or record.message_id)
        return record_handler(record)

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def handler(event: dict, context: Any) -> dict:
        return process_partial_response(event=event, record_handler=_one, processor=processor, context=context)

    handler.__name__ = "handler"
    return handler


def scheduled_handler(job: Callable[[dict], dict]) -> Callable[[dict, Any], dict]:
    """An EventBridge scheduled job; the event's id is the correlation id."""

    @logger.inject_lambda_context(correlation_id_path="id", clear_state=True)
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def handler(event: dict, context: Any) -> dict:
        if event.get("detail-type") != "Scheduled Event":
            raise ValueError("not a scheduled event")
        return job(event)

    handler.__name__ = "handler"
    return handler
