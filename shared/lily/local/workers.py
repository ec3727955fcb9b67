"""Queue pollers and the schedule clock of local mode.

Pollers receive from each declared queue and invoke its function with a real-shaped SQS batch.
Messages the function reports in ``batchItemFailures`` stay on the queue and come back after a
short delay; the emulator's redrive policy moves them to the DLQ after ``maxReceiveCount``
receives, as in AWS. A handler that raises fails the whole batch, as Lambda does.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

from lily.core import clock
from lily.core.aws import client
from lily.core.config import get_settings
from lily.core.functions import FunctionSpec, Queue, Schedule
from lily.core.observability import logger
from lily.local.context import LocalContext
from lily.local.events import scheduled_event, sqs_record

RETRY_DELAY_S = 1


def invoke(spec: FunctionSpec, handler: Callable[[dict, Any], Any], event: dict) -> Any:
    return handler(event, LocalContext(spec.name, spec.memory_mb, spec.timeout_s))


class QueuePoller:
    def __init__(self, spec: FunctionSpec, handler: Callable[[dict, Any], Any]) -> None:
        assert isinstance(spec.trigger, Queue)
        self.spec = spec
        self.trigger: Queue = spec.trigger
        self.handler = handler
        self.region = get_settings().region
        self._address: tuple[str, str] | None = None

    def _queue(self) -> tuple[str, str]:
        """The queue's URL and ARN, asked of SQS at the first poll (a suite that never polls asks nothing)."""
        if self._address is None:
            sqs = client("sqs")
            url = sqs.get_queue_url(QueueName=get_settings().queue_name(self.trigger.queue))["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self._address = (url, arn)
        return self._address

    @property
    def url(self) -> str:
        return self._queue()[0]

    @property
    def arn(self) -> str:
        return self._queue()[1]

    def poll_once(self, wait_s: int = 1) -> int:
        """Receive one batch and process it; returns how many messages were received."""
        sqs = client("sqs")
        resp = sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=self.trigger.batch_size, WaitTimeSeconds=wait_s,
            AttributeNames=["All"], MessageAttributeNames=["All"],
        )
        messages = resp.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [sqs_record(m, self.arn, self.region) for m in messages]}
        try:
            result = invoke(self.spec, self.handler, event) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - an invocation error fails the whole batch, as in Lambda
            logger.exception("worker invocation failed", extra={"function": self.spec.name})
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        for m in messages:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"],
                                              VisibilityTimeout=RETRY_DELAY_S)
        return len(messages)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - keep polling through emulator hiccups
                logger.exception("queue poll failed", extra={"queue": self.trigger.queue})
                stop.wait(1)


_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_DOW = {"1": "SUN", "2": "MON", "3": "TUE", "4": "WED", "5": "THU", "6": "FRI", "7": "SAT"}


def to_crontab(expression: str) -> str:
    """EventBridge ``cron(min hour dom month dow year)`` → a five-field crontab (year dropped)."""
    fields = expression[len("cron("):-1].split()
    minute, hour, dom, month, dow, _year = fields
    dom = "*" if dom == "?" else dom
    dow = "*" if dow == "?" else re.sub(r"\b[1-7]\b", lambda m: _DOW[m.group(0)], dow)
    return f"{minute} {hour} {dom} {month} {dow}"


def next_fire(expression: str, after: datetime) -> datetime:
    m = _RATE.fullmatch(expression)
    if m:
        n, unit = int(m.group(1)), m.group(2).rstrip("s")
        return after + timedelta(**{unit + "s": n})
    return croniter(to_crontab(expression), after).get_next(datetime).astimezone(UTC)


class ScheduleClock:
    def __init__(self, spec: FunctionSpec, handler: Callable[[dict, Any], Any]) -> None:
        assert isinstance(spec.trigger, Schedule)
        self.spec = spec
        self.handler = handler

    def fire(self) -> Any:
        return invoke(self.spec, self.handler, scheduled_event(f"lily-{self.spec.name}", get_settings().region))

    def run(self, stop: threading.Event) -> None:
        due = next_fire(self.spec.trigger.expression, clock.now())
        while not stop.is_set():
            wait = (due - clock.now()).total_seconds()
            if wait > 0:
                stop.wait(min(wait, 1.0))
                continue
            try:
                self.fire()
            except Exception:  # noqa: BLE001 - a failed run is logged; the next one still fires
                logger.exception("scheduled invocation failed", extra={"function": self.spec.name})
            due = next_fire(self.spec.trigger.expression, clock.now())
