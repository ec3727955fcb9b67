"""Each invocation logs under its own function's name, even where every function shares one process.

Local mode runs every function in one process: queue workers and schedules in threads of their own, HTTP
requests through the local gateway beside them. A failed ``content/generate`` was logged with
``"function_name":"dispatcher"``: the Lambda context keys were the logger's process-wide ones, so the last
invocation to start labelled everybody's logs.
"""

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lily.core.functions import FunctionSpec, Http
from lily.core.handlers import queue_handler, scheduled_handler
from lily.core.observability import logger, with_log_context
from lily.local.context import LocalContext
from lily.local.gateway import Gateway, routes_for
from tests.unit.test_queue_workers import PingRecord


class Collect(logging.Handler):
    """Every record as the deployed JSON line would carry it (Lily's formatter)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(logger.registered_formatter.format(record)))

    def by_message(self, message: str) -> dict:
        [line] = [line for line in self.lines if line["message"] == message]
        return line


@pytest.fixture
def logs():
    collect = Collect()
    logging.getLogger(logger.name).addHandler(collect)
    yield collect
    logging.getLogger(logger.name).removeHandler(collect)


def _scheduled(name: str, started: threading.Event, go_on: threading.Event):
    """A scheduled function that logs, then waits mid-invocation until told to go on, then logs again."""

    def job(event: dict) -> dict:
        logger.warning(f"{name} starts")
        started.set()
        assert go_on.wait(10)
        logger.warning(f"{name} ends")
        return {}

    return scheduled_handler(job)


def _tick(handler, name: str) -> threading.Thread:
    event = {"id": f"tick-{name}", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
    thread = threading.Thread(target=handler, args=(event, LocalContext(name)), daemon=True)
    thread.start()
    return thread


def test_an_http_request_of_the_local_gateway_logs_under_its_function_while_a_worker_runs(logs):
    # Given the dispatcher in the middle of an invocation on its own thread
    started, go_on = threading.Event(), threading.Event()
    dispatcher = _tick(_scheduled("dispatcher", started, go_on), "dispatcher")
    assert started.wait(10)
    # When the local gateway serves a request of the content function meanwhile
    app = FastAPI()

    @app.post("/api/content/generate")
    def generate() -> dict:
        logger.warning("generation failed")
        return {}

    spec = FunctionSpec(name="content", description="d", trigger=Http(prefixes=["/api/content"]), memory_mb=1024)
    with TestClient(Gateway(routes_for([(spec, app)]), FastAPI())) as http:
        assert http.post("/api/content/generate").status_code == 200
    go_on.set()
    dispatcher.join(10)
    # Then the request's log line is the content function's, and the dispatcher's lines stay its own
    line = logs.by_message("generation failed")
    assert line["function_name"] == "content"
    assert line["function_memory_size"] == 1024
    assert line["cold_start"] is True
    assert logs.by_message("dispatcher starts")["function_name"] == "dispatcher"
    assert logs.by_message("dispatcher ends")["function_name"] == "dispatcher"
    assert logs.by_message("dispatcher ends")["correlation_id"] == "tick-dispatcher"


def test_two_workers_running_at_once_each_log_under_their_own_name_and_correlation_id(logs):
    # Given a publisher invocation that has started and waits mid-batch
    started, go_on = threading.Event(), threading.Event()

    def record(r: PingRecord) -> None:
        logger.warning(f"publisher record {r.body.n}")
        started.set()
        assert go_on.wait(10)
        logger.warning(f"publisher record {r.body.n} done")

    publisher = queue_handler(PingRecord, record)
    event = {"Records": [{"messageId": "m-publisher", "receiptHandle": "r", "body": json.dumps({"n": 1}),
                          "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1",
                                         "SenderId": "s", "ApproximateFirstReceiveTimestamp": "1"},
                          "messageAttributes": {}, "md5OfBody": "x", "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:publish",
                          "awsRegion": "us-east-1"}]}
    thread = threading.Thread(target=publisher, args=(event, LocalContext("publisher")), daemon=True)
    thread.start()
    assert started.wait(10)
    # When a scheduled function starts and ends on another thread meanwhile
    done = threading.Event()
    done.set()
    _tick(_scheduled("token_health", threading.Event(), done), "token_health").join(10)
    go_on.set()
    thread.join(10)
    # Then the publisher's line written after it is still the publisher's, with its own correlation id
    line = logs.by_message("publisher record 1 done")
    assert (line["function_name"], line["correlation_id"]) == ("publisher", "m-publisher")
    line = logs.by_message("token_health ends")
    assert (line["function_name"], line["correlation_id"]) == ("token_health", "tick-token_health")


def test_a_pool_thread_started_by_an_invocation_logs_under_that_invocation(logs):
    def job(event: dict) -> dict:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(with_log_context(lambda i: logger.warning(f"move {i}")), range(2)))
        return {}

    _tick(scheduled_handler(job), "dispatcher").join(10)
    for i in range(2):
        line = logs.by_message(f"move {i}")
        assert (line["function_name"], line["correlation_id"]) == ("dispatcher", "tick-dispatcher")
