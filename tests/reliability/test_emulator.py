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



def test_deleting_messages_by_receipt_handle_behaves_as_sqs_does(lily_env):
    import uuid

    from botocore.exceptions import ClientError

    from lily.core.aws import client

    sqs = client("sqs")
    url = sqs.create_queue(QueueName=f"emu-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    # Given three messages, one received twice (its first receipt handle is an old one now)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    old = next(m for m in first if m["Body"] == "m0")["ReceiptHandle"]
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]
    # When one is deleted by its old handle, another by its current one (twice), and an unknown handle is used
    out = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "old", "ReceiptHandle": old},
        {"Id": "now", "ReceiptHandle": next(m for m in again if m["Body"] == "m1")["ReceiptHandle"]}])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=next(m for m in again if m["Body"] == "m1")["ReceiptHandle"])
    with pytest.raises(ClientError) as unknown:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    mixed = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "gone", "ReceiptHandle": old},
                                                            {"Id": "bad", "ReceiptHandle": "not-a-handle"}])
    # Then both went, deleting twice is accepted, the unknown handle is refused, and one message is left
    assert sorted(e["Id"] for e in out["Successful"]) == ["now", "old"] and not out.get("Failed")
    assert unknown.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"
    assert [e["Id"] for e in mixed["Successful"]] == ["gone"]
    assert [(e["Id"], e["Code"], e["SenderFault"]) for e in mixed["Failed"]] == [
        ("bad", "ReceiptHandleIsInvalid", True)]
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert left["Attributes"] == {"ApproximateNumberOfMessagesNotVisible": "1"}

def _table(ddb, name: str) -> None:
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "shard", "due")],
        GlobalSecondaryIndexes=[{"IndexName": "due", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "shard", "KeyType": "HASH"},
                                               {"AttributeName": "due", "KeyType": "RANGE"}]}])


def _answers(ddb, name: str) -> list:
    """Answers to the item operations Lily uses, on items holding every attribute type."""
    item = {"pk": {"S": "p"}, "sk": {"S": "1"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xffbin"},
            "ok": {"BOOL": True}, "nothing": {"NULL": True}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]},
            "bs": {"BS": [b"x", b"y"]}, "m": {"M": {"l": {"L": [{"S": "x"}, {"N": "2"}, {"M": {}}]}}}}
    key = {"pk": {"S": "p"}, "sk": {"S": "1"}}
    out = [ddb.put_item(TableName=name, Item=item, ReturnConsumedCapacity="TOTAL"),
           ddb.put_item(TableName=name, Item=item, ReturnValues="ALL_OLD"),
           ddb.get_item(TableName=name, Key=key, ConsistentRead=True),
           ddb.get_item(TableName=name, Key={"pk": {"S": "absent"}, "sk": {"S": "1"}}),
           ddb.update_item(TableName=name, Key=key, UpdateExpression="SET n = n + :one REMOVE ok",
                           ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues={":one": {"N": "1"}},
                           ReturnValues="ALL_NEW"),
           ddb.update_item(TableName=name, Key=key, UpdateExpression="SET ok = :t",
                           ExpressionAttributeValues={":t": {"BOOL": False}}, ReturnValues="UPDATED_OLD")]
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": "q"}, "sk": {"S": str(i)}, "shard": {"S": f"s{i % 2}"},
                                           "due": {"S": f"t{i}"}})
    out += [ddb.query(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "q"}},
                      Limit=2),
            ddb.query(TableName=name, IndexName="due", KeyConditionExpression="shard = :s AND due <= :d",
                      ExpressionAttributeValues={":s": {"S": "s0"}, ":d": {"S": "t3"}}, Limit=1),
            ddb.scan(TableName=name, Limit=3),
            ddb.batch_get_item(RequestItems={name: {"Keys": [key, {"pk": {"S": "q"}, "sk": {"S": "0"}}]}}),
            ddb.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": {**key, "n": {"N": "9"}}}}]),
            ddb.delete_item(TableName=name, Key=key, ReturnValues="ALL_OLD")]
    for answer in out:
        answer.pop("ResponseMetadata")
    return out


def test_the_faster_emulator_answers_item_operations_as_moto_does(lily_env, monkeypatch):
    import uuid

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    from moto.dynamodb.responses import DynamoHandler

    from lily.core.aws import client

    ddb = client("dynamodb")
    # Given the item operations' answers from local mode's emulator (answers encoded directly, update
    # expressions parsed once and validated with cached maps) and from moto as it comes
    direct = f"direct-{uuid.uuid4().hex[:8]}"
    _table(ddb, direct)
    fast = _answers(ddb, direct)
    monkeypatch.setattr(DynamoHandler, "serialized", DynamoHandler.serialized.__wrapped__)
    monkeypatch.setattr(UpdateExpressionParser, "make", UpdateExpressionParser.make.__wrapped__)
    monkeypatch.setattr(validators, "deepcopy", validators.deepcopy.__wrapped__)
    for name in ("nodes_to_be_processed", "process"):
        monkeypatch.setattr(DepthFirstTraverser, name, getattr(DepthFirstTraverser, name).__wrapped__)
    serialized = f"serialized-{uuid.uuid4().hex[:8]}"
    _table(ddb, serialized)
    slow = _answers(ddb, serialized)
    # Then the SDK reads the same answers (table names aside)
    assert repr(fast).replace(direct, "T") == repr(slow).replace(serialized, "T")


def test_an_index_query_reads_its_partition_as_moto_does(lily_env, monkeypatch):
    import uuid

    from moto.dynamodb.models.table import Table

    from lily.core.aws import client

    ddb = client("dynamodb")
    name = f"gsi-{uuid.uuid4().hex[:8]}"
    _table(ddb, name)
    # Given a sparse index: items in two shards, some without the index's range key, some outside it
    for i in range(30):
        item = {"pk": {"S": f"p{i % 7}"}, "sk": {"S": f"{i:03d}"}}
        if i % 3:
            item["shard"] = {"S": f"s{i % 2}"}
        if i % 5:
            item["due"] = {"S": f"t{i % 11:02d}"}
        ddb.put_item(TableName=name, Item=item)

    def pages(**kw):
        found, start = [], {}
        while True:
            page = ddb.query(TableName=name, IndexName="due", KeyConditionExpression="shard = :s AND due <= :d",
                             ExpressionAttributeValues={":s": {"S": "s1"}, ":d": {"S": "t07"}}, Limit=3, **kw,
                             **start)
            found.append((page["Items"], page.get("LastEvaluatedKey")))
            if "LastEvaluatedKey" not in page:
                return found
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    # When it is queried page by page, forward and backward, reading the partition only and as moto does
    partition = pages(), pages(ScanIndexForward=False)
    monkeypatch.setattr(Table, "query", Table.query.__wrapped__)
    whole_table = pages(), pages(ScanIndexForward=False)
    # Then both read the same items in the same order, with the same page ends
    assert partition == whole_table
    assert sum(len(items) for items, _ in partition[0]) > 3


def test_local_modes_server_answers_as_motos_own(lily_env):
    import uuid

    import boto3

    from lily.core.aws import client
    from lily.local.emulator import start_server
    from lily.local.net import free_port

    # Given local mode's emulator server (DynamoDB and SQS handed to moto's handlers directly) beside moto's own
    server = start_server(free_port())
    try:
        url = f"http://127.0.0.1:{server.bind_addr[1]}"
        front, own = boto3.client("dynamodb", endpoint_url=url), client("dynamodb")
        names = f"front-{uuid.uuid4().hex[:8]}", f"own-{uuid.uuid4().hex[:8]}"
        for ddb, name in zip((front, own), names, strict=True):
            _table(ddb, name)
        # When the same item operations go through each
        answers = [repr(_answers(ddb, name)).replace(name, "T") for ddb, name in zip((front, own), names, strict=True)]
        sqs = boto3.client("sqs", endpoint_url=url)
        queue = sqs.create_queue(QueueName=f"front-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="hello", DelaySeconds=0)
        got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=got[0]["ReceiptHandle"])
        error = None
        try:
            front.get_item(TableName="absent", Key={"pk": {"S": "p"}})
        except front.exceptions.ResourceNotFoundException as exc:
            error = exc.response["Error"]["Code"]
    finally:
        server.stop()
    # Then the answers are the same, SQS round-trips and errors keep their codes
    assert answers[0] == answers[1]
    assert [m["Body"] for m in got] == ["hello"]
    assert error == "ResourceNotFoundException"


def test_local_modes_server_keeps_every_clients_connection_open(lily_env):
    import http.client

    from lily.local.emulator import start_server
    from lily.local.net import free_port

    # Given local mode's emulator server and more pooled connections than cheroot keeps by default (10)
    server = start_server(free_port())
    conns = [http.client.HTTPConnection("127.0.0.1", server.bind_addr[1], timeout=5) for _ in range(24)]
    try:
        # When each sends two requests, all connections open at once
        closing = []
        for _ in range(2):
            for conn in conns:
                conn.request("POST", "/", body="{}", headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                                               "Content-Type": "application/x-amz-json-1.0"})
                answer = conn.getresponse()
                answer.read()
                assert answer.status == 200
                closing.append(answer.will_close)
    finally:
        for conn in conns:
            conn.close()
        server.stop()
    # Then none was told to close (no new TCP connection per call)
    assert not any(closing)


def test_a_long_poll_wakes_for_a_new_message_and_waits_out_a_delayed_one(lily_env):
    import uuid

    from lily.core.aws import client

    sqs = client("sqs")
    url = sqs.create_queue(QueueName=f"emu-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=300)
    # Given a long poll waiting on a queue whose only message is delayed
    got: list = []
    waiting = threading.Thread(target=lambda: got.extend(
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])))
    started = time.monotonic()
    waiting.start()
    time.sleep(0.5)
    # When a message that is receivable at once arrives
    sqs.send_message(QueueUrl=url, MessageBody="now")
    waiting.join(10)
    # Then the poll returns it well before its wait ends, and an empty poll waits its whole time
    assert [m["Body"] for m in got] == ["now"]
    assert time.monotonic() - started < 4
    started = time.monotonic()
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []) == []
    assert time.monotonic() - started >= 0.9


def test_the_emulator_keeps_only_the_items_it_stores(lily_env):
    import gc

    from moto.dynamodb.models.dynamo_type import Item

    from lily.publishing.models import PacingState

    # Given 50 stored items
    for i in range(50):
        PacingState(f"keep#{i}", seq=0, tat=0).save()

    def live() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if type(o) is Item)

    before = live()
    # When each is updated 10 times (half of the updates lose on their condition)
    for _ in range(5):
        for i in range(50):
            won(lambda i=i: PacingState(f"keep#{i}").update(actions=[PacingState.seq.add(1)]))
            won(lambda i=i: PacingState(f"keep#{i}").update(actions=[PacingState.tat.set(1)],
                                                           condition=PacingState.seq < 0))
    # Then moto holds no more items than before (it kept every copy it made to answer: two per update)
    assert live() <= before
