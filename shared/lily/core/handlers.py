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
of the batch is not affected. A batch whose every record failed raises :class:`BatchFailed`, so Lambda
returns the whole batch to the queue (what Powertools' ``process_partial_response`` does).

The partial-batch loop is written here rather than taken from Powertools' batch utility: that utility imports
asyncio and every Powertools event data class (about a third of ``import boto3`` in each worker's cold start)
for the dozen lines below; the records are still parsed with the Powertools parser model the worker declares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lily.core import snapstart
from lily.core.observability import log_invocation, logger, metrics, set_correlation_id, trace_handler

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models import SqsRecordModel

R = TypeVar("R", bound="SqsRecordModel")


class BatchFailed(RuntimeError):
    """Every record of an SQS batch failed: raised so that Lambda returns the whole batch to the queue."""


def queue_handler(model: type[R], record_handler: Callable[[R], Any]) -> Callable[[dict, Any], dict]:
    """An SQS worker parsing each record as ``model`` and reporting partial batch failures."""

    def _one(raw: dict) -> None:
        record = model.model_validate(raw)
        cid = record.messageAttributes.get("correlation_id")
        set_correlation_id((cid.stringValue if cid else None) or record.messageId)
        record_handler(record)

    @log_invocation()
    @metrics.log_metrics
    @trace_handler
    def handler(event: dict, context: Any) -> dict:
        records = event["Records"]
        failed: list[dict[str, str]] = []
        errors: list[str] = []
        for raw in records:
            try:
                _one(raw)
            except Exception as exc:  # noqa: BLE001 - boundary: a failing record fails alone, the batch goes on
                # A message that does not validate: its type only (pydantic's error quotes the record's content).
                # Anything else is a fault an operator must be able to trace: with its traceback.
                from pydantic import ValidationError  # loaded already: the record model is pydantic

                logger.warning("record failed", exc_info=not isinstance(exc, ValidationError),
                               extra={"message_id": raw.get("messageId"), "error": type(exc).__name__})
                failed.append({"itemIdentifier": raw["messageId"]})
                errors.append(type(exc).__name__)
        if records and len(failed) == len(records):
            raise BatchFailed(f"all {len(records)} records failed: {', '.join(errors)}")
        return {"batchItemFailures": failed}

    handler.__name__ = "handler"
    snapstart.install()
    snapstart.end_of_init()
    return handler


def scheduled_handler(job: Callable[[dict], dict]) -> Callable[[dict, Any], dict]:
    """An EventBridge scheduled job; the event's id is the correlation id."""

    @log_invocation(correlation_id_path="id")
    @metrics.log_metrics
    @trace_handler
    def handler(event: dict, context: Any) -> dict:
        if event.get("detail-type") != "Scheduled Event":
            raise ValueError("not a scheduled event")
        return job(event)

    handler.__name__ = "handler"
    snapstart.install()
    snapstart.end_of_init()
    return handler
