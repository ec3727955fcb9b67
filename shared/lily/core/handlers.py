"""Lambda entry points for queue workers and scheduled jobs (HTTP: :func:`lily.core.http.http_handler`).

Kept free of FastAPI so workers do not import a web framework at cold start.

Decorator order (outermost first): logger context with correlation id, metrics, tracer.

A queue worker declares its records as a Powertools parser model, ``SqsRecordModel`` with a typed JSON
body, and handles one parsed record at a time::

    class PublishRecord(SqsRecordModel):
        body: Json[PublishMessage]

    def record(record: PublishRecord) -> str:
        return publisher.process(record.body)

    handler = queue_handler(PublishRecord, record)

A record whose body is not JSON or not the message fails validation in the handler and becomes a batch
item failure on its own: SQS redelivers it and, after ``maxReceiveCount``, moves it to the DLQ; the rest
of the batch is not affected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lily.core import snapstart
from lily.core.observability import logger, metrics, trace_handler

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models import SqsRecordModel

R = TypeVar("R", bound="SqsRecordModel")


def queue_handler(model: type[R], record_handler: Callable[[R], Any]) -> Callable[[dict, Any], dict]:
    """An SQS worker parsing each record as ``model`` and reporting partial batch failures."""
    # Imported here, not at the top: scheduled jobs share this module and never load the batch utility.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, model=model)

    def _one(record: R) -> Any:
        cid = record.messageAttributes.get("correlation_id")
        logger.set_correlation_id((cid.stringValue if cid else None) or record.messageId)
        return record_handler(record)

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    @trace_handler
    def handler(event: dict, context: Any) -> dict:
        return process_partial_response(event=event, record_handler=_one, processor=processor, context=context)

    handler.__name__ = "handler"
    snapstart.install()
    return handler


def scheduled_handler(job: Callable[[dict], dict]) -> Callable[[dict, Any], dict]:
    """An EventBridge scheduled job; the event's id is the correlation id."""

    @logger.inject_lambda_context(correlation_id_path="id", clear_state=True)
    @metrics.log_metrics
    @trace_handler
    def handler(event: dict, context: Any) -> dict:
        if event.get("detail-type") != "Scheduled Event":
            raise ValueError("not a scheduled event")
        return job(event)

    handler.__name__ = "handler"
    snapstart.install()
    return handler
