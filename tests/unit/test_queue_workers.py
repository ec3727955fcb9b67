"""Queue workers parse their records at the edge with Powertools parser models; a bad record fails alone."""

import json

import pytest
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, Json

from lily.core.functions import Queue, discover, load_handler_module
from lily.core.handlers import BatchFailed, queue_handler
from lily.local.context import LocalContext
from tests.helpers import load_event

QUEUE_SPECS = [s for s in discover() if isinstance(s.trigger, Queue)]


def _record_models(module) -> list[type[SqsRecordModel]]:
    return [v for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, SqsRecordModel) and v is not SqsRecordModel]


@pytest.mark.parametrize("spec", QUEUE_SPECS, ids=[s.name for s in QUEUE_SPECS])
def test_every_worker_declares_its_record_with_a_typed_json_body(spec):
    models = _record_models(load_handler_module(spec))
    assert len(models) == 1, f"{spec.name}: declare one SqsRecordModel subclass with body: Json[Message]"
    body = models[0].model_fields["body"]
    assert any(isinstance(m, Json) for m in body.metadata), f"{spec.name}: body must be Json[...]"
    # the sample event's records are valid messages
    for raw in load_event(spec.name)["Records"]:
        parsed = models[0].model_validate(raw)
        assert isinstance(parsed.body, BaseModel), spec.name


class Ping(BaseModel):
    n: int


class PingRecord(SqsRecordModel):
    body: Json[Ping]


def _record(message_id: str, body: str) -> dict:
    return {"messageId": message_id, "receiptHandle": "rh", "body": body,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795788000000", "SenderId": "A",
                           "ApproximateFirstReceiveTimestamp": "1795788000000"},
            "messageAttributes": {"correlation_id": {"stringValue": "cid-1", "stringListValues": [],
                                                     "binaryListValues": [], "dataType": "String"}},
            "md5OfBody": "x", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q", "awsRegion": "us-east-1"}


def test_the_core_queue_handler_hands_typed_messages_and_reports_bad_records():
    seen: list[int] = []
    handler = queue_handler(PingRecord, lambda record: seen.append(record.body.n))
    event = {"Records": [_record("m1", json.dumps({"n": 1})), _record("m2", "{not json"),
                         _record("m3", json.dumps({"n": "two"})), _record("m4", json.dumps({"n": 4}))]}
    result = handler(event, LocalContext("t", 128, 3))
    assert seen == [1, 4]
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}


def test_a_batch_whose_every_record_failed_is_returned_whole_to_the_queue():
    handler = queue_handler(PingRecord, lambda record: None)
    event = {"Records": [_record("m1", "{not json"), _record("m2", json.dumps({"n": "two"}))]}
    with pytest.raises(BatchFailed, match="all 2 records failed"):
        handler(event, LocalContext("t", 128, 3))
