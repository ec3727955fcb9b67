"""Local mode's emulator applies the writes to one DynamoDB item one at a time, as DynamoDB does."""

from __future__ import annotations

import threading
import time

import pytest

from lily.core.db import won
from lily.publishing.models import PacingState

RACERS = 8
TRIALS = 10


@pytest.fixture
def wide_race_window(monkeypatch):
    """moto pauses between checking a write's condition and applying it, so an unserialized race shows."""
    import moto.dynamodb.models as backend

    make_parser = backend.create_condition_expression_parser

    class SlowCheck:
        def __init__(self, op):
            self.op = op

        def expr(self, item):
            ok = self.op.expr(item)
            time.sleep(0.005)
            return ok

    class SlowParser:
        def __init__(self, parser):
            self.parser = parser

        def parse(self):
            return SlowCheck(self.parser.parse())

    monkeypatch.setattr(backend, "create_condition_expression_parser", lambda *a: SlowParser(make_parser(*a)))


def test_racing_conditional_updates_on_one_item_have_exactly_one_winner(lily_env, wide_race_window):
    # Given local mode's emulator (moto with writes serialized per item), its race window made wide
    for trial in range(TRIALS):
        key = f"race#{trial}"
        PacingState(key, seq=0).save()
        barrier = threading.Barrier(RACERS)
        winners: list[int] = []

        def racer(i: int, key: str = key, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            item = PacingState(key)
            if won(lambda: item.update(actions=[PacingState.seq.set(i + 1)], condition=PacingState.seq == 0)):
                winners.append(i)

        # When eight workers race one conditional UpdateItem on the same old value
        threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Then exactly one wins, and the item holds its write
        assert len(winners) == 1, (trial, winners)
        assert PacingState.get(key, consistent_read=True).seq == winners[0] + 1


def test_a_cancelled_transaction_leaves_every_item_as_it_was(lily_env):
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from lily.publishing.models import PacingState as P

    # Given two items
    P("tx#a", seq=1, tat=10).save()
    P("tx#b", seq=1).save()
    # When a transaction writes the first and its condition on the second fails
    with pytest.raises(TransactWriteError):
        with TransactWrite(connection=P._get_connection().connection) as tx:
            tx.save(P("tx#a", seq=2, tat=99))
            tx.update(P("tx#b"), actions=[P.seq.set(5)], condition=P.seq == 7)
    # Then neither changed, and the table still serves both
    assert P.get("tx#a", consistent_read=True).tat == 10
    assert P.get("tx#b", consistent_read=True).seq == 1


def test_a_queue_with_a_delayed_backlog_counts_and_delivers_as_sqs_does(lily_env):
    import uuid

    from lily.core.aws import client

    sqs = client("sqs")
    url = sqs.create_queue(QueueName=f"emu-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    # Given 40 delayed messages and 3 that are visible
    for i in range(0, 40, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(k), "MessageBody": f"later {i + k}",
                                                       "DelaySeconds": 300} for k in range(10)])
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"now {i}")
    # When a worker receives
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]
    # Then it gets only the visible ones, and the counts say 40 delayed, 3 in flight, none waiting
    assert sorted(m["Body"] for m in got) == ["now 0", "now 1", "now 2"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesDelayed"],
            attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "40", "3")
    sqs.send_message(QueueUrl=url, MessageBody="one more")
    one = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert one == {"ApproximateNumberOfMessages": "1"}
