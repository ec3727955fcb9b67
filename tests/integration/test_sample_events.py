"""Every function has a real-shaped sample event in events/, and its handler accepts it."""

import pytest

from lily.core.functions import Http, Queue, Schedule, discover, load_handler_module
from lily.local.context import LocalContext
from tests.helpers import EVENTS, load_event

SPECS = discover()


def test_every_function_has_a_sample_event():
    missing = [s.name for s in SPECS if not (EVENTS / f"{s.name}.json").is_file()]
    assert not missing, f"add events/<name>.json for: {missing}"


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_handler_accepts_its_sample_event(spec, lily_env):
    event = load_event(spec.name)
    module = load_handler_module(spec)
    result = module.handler(event, LocalContext(spec.name, spec.memory_mb, spec.timeout_s))
    if isinstance(spec.trigger, Http):
        assert event["version"] == "2.0" and "requestContext" in event
        assert result["statusCode"] < 500, result
        assert "x-request-id" in {k.lower() for k in result["headers"]}
    elif isinstance(spec.trigger, Queue):
        assert all(r["eventSource"] == "aws:sqs" for r in event["Records"])
        assert result == {"batchItemFailures": []}, result
    elif isinstance(spec.trigger, Schedule):
        assert event["detail-type"] == "Scheduled Event"
        assert isinstance(result, dict), result  # every job reports what it did


QUEUE_SPECS = [s for s in SPECS if isinstance(s.trigger, Queue)]


@pytest.mark.parametrize("spec", QUEUE_SPECS, ids=[s.name for s in QUEUE_SPECS])
def test_a_malformed_record_fails_alone(spec, lily_env):
    # Given the sample batch plus a record that is not JSON and one that is JSON but not the message
    event = load_event(spec.name)
    good = event["Records"][0]
    not_json = {**good, "messageId": "00000000-0000-4000-8000-00000000bad1", "body": "not json at all"}
    wrong_shape = {**good, "messageId": "00000000-0000-4000-8000-00000000bad2", "body": '{"unexpected": true}'}
    event["Records"] = [not_json, *event["Records"], wrong_shape]
    # When the worker handles the batch
    module = load_handler_module(spec)
    result = module.handler(event, LocalContext(spec.name, spec.memory_mb, spec.timeout_s))
    # Then exactly the two bad records are reported as item failures (SQS retries them, then the DLQ keeps them)
    assert result == {"batchItemFailures": [{"itemIdentifier": not_json["messageId"]},
                                            {"itemIdentifier": wrong_shape["messageId"]}]}, result
