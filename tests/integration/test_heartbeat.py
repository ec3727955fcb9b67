"""Schedule → queue → worker → DLQ, through the same wiring local mode and AWS use."""

import json

from lily.core import queues
from lily.core.aws import client
from lily.health import service
from lily.local.workers import QueuePoller
from tests.helpers import drain


def _poller(suite, queue: str) -> QueuePoller:
    return next(p for p in suite.pollers if p.trigger.queue == queue)


def test_heartbeat_schedule_reaches_the_worker(local_suite):
    # Given the heartbeat schedule fires
    result = local_suite.clocks[[c.spec.name for c in local_suite.clocks].index("heartbeat")].fire()
    # When the queue is polled
    assert drain(local_suite) >= 1
    # Then the worker recorded that very beat
    beats = service.recent()
    assert [b.beat_id for b in beats] == [result["beat_id"]]
    assert beats[0].lag_ms >= 0


def test_duplicate_delivery_records_once(lily_env):
    body = {"beat_id": "beat_dup0001", "sent_at": "2026-11-27T14:00:00Z"}
    assert service.record_heartbeat(body) is True
    assert service.record_heartbeat(body) is False
    assert len(service.recent()) == 1


def test_poison_message_goes_to_dlq_and_healthy_ones_are_not_redelivered(local_suite, monkeypatch):
    monkeypatch.setattr("lily.local.workers.RETRY_DELAY_S", 0)
    sqs = client("sqs")
    poller = _poller(local_suite, "heartbeat")
    # Given a batch with two healthy beats and one poison message
    queues.send("heartbeat", {"beat_id": "beat_good0001", "sent_at": "2026-11-27T14:00:00Z"})
    sqs.send_message(QueueUrl=queues.queue_url("heartbeat"), MessageBody="not json at all")
    queues.send("heartbeat", {"beat_id": "beat_good0002", "sent_at": "2026-11-27T14:00:00Z"})
    calls = []
    original = poller.handler

    def spy(event, context):
        calls.append([json.loads(r["body"]).get("beat_id") if r["body"].startswith("{") else "poison"
                      for r in event["Records"]])
        return original(event, context)

    poller.handler = spy
    # When the worker runs until the queue is empty
    for _ in range(10):
        poller.poll_once(wait_s=0)
    # Then the poison message is in the DLQ after maxReceiveCount receives
    dlq = sqs.receive_message(QueueUrl=queues.dlq_url("heartbeat"), MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dlq] == ["not json at all"]
    # And each healthy message was delivered exactly once
    delivered = [b for batch in calls for b in batch]
    assert delivered.count("beat_good0001") == 1
    assert delivered.count("beat_good0002") == 1
    assert delivered.count("poison") == poller.trigger.max_receive_count
    assert {b.beat_id for b in service.recent()} == {"beat_good0001", "beat_good0002"}
