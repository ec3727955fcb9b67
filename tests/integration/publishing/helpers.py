"""Drive the publishing pipeline in-process: create and schedule posts, tick, drain the queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from lily.core import clock, queues
from lily.core.aws import client
from lily.publishing import dispatcher, editing, publisher, scheduling
from lily.publishing.messages import PublishMessage
from lily.publishing.ports import PlatformGateway, PublishingPorts
from lily.publishing.schemas import PostCreate, ScheduleIn, TargetIn


def make_post(ports: PublishingPorts, org_id: str, connection_ids: list[str], text: str = "Hello from Lily", **kw):
    targets = [TargetIn(connection_id=c) for c in connection_ids]
    return editing.create_post(ports, org_id, PostCreate(text=text, targets=targets, **kw))


def schedule_in(ports: PublishingPorts, org_id: str, post_id: str, seconds: float, tz: str = "UTC"):
    at = datetime.fromtimestamp(clock.now_ts() + seconds, tz=UTC)
    return scheduling.schedule(ports, org_id, post_id, ScheduleIn(scheduled_at=at, timezone=tz))


def receive_all(max_rounds: int = 50, wait_s: int = 0) -> list[tuple[PublishMessage, str, int]]:
    """Pull every visible publish message: (message, receipt handle, receive count)."""
    sqs = client("sqs")
    url = queues.queue_url("publish")
    out = []
    for _ in range(max_rounds):
        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_s,
                                   AttributeNames=["ApproximateReceiveCount"])
        batch = resp.get("Messages", [])
        if not batch:
            break
        for m in batch:
            out.append((PublishMessage.model_validate(json.loads(m["Body"])), m["ReceiptHandle"],
                        int(m["Attributes"]["ApproximateReceiveCount"])))
    return out


def run_publisher(gateway: PlatformGateway, rounds: int = 30) -> list[str]:
    """Process publish messages directly (ignoring SQS delays: the publisher re-checks times itself)."""
    sqs = client("sqs")
    url = queues.queue_url("publish")
    outcomes = []
    for _ in range(rounds):
        got = receive_all(max_rounds=5)
        if not got:
            break
        for msg, handle, _count in got:
            try:
                outcomes.append(publisher.process(msg, gateway))
            except publisher.ParkInDlq:
                outcomes.append("parked")
            sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    return outcomes


def purge_queue() -> None:
    client("sqs").purge_queue(QueueUrl=queues.queue_url("publish"))


def advance(seconds: float) -> None:
    clock.advance(seconds)


def tick():
    return dispatcher.tick()


def later(seconds: float) -> datetime:
    return clock.now() + timedelta(seconds=seconds)


def queued_target(ports: PublishingPorts, org_id: str, platform: str = "x", text: str = "hello"):
    """A post for one new ``platform`` connection of the fake platforms (``ports.gateway``), scheduled, due and
    dispatched: (connection, post, target id)."""
    conn = ports.gateway.add_connection(org_id, platform)
    post = make_post(ports, org_id, [conn.connection_id], text=text)
    schedule_in(ports, org_id, post.post_id, 5)
    clock.advance(5)
    assert tick()["dispatched"] == 1
    return conn, post, post.targets[0].target_id


def target_of(post, target_id: str):
    """The stored target, read consistently."""
    from lily.publishing.models import Target

    return Target.get(post.post_id, target_id, consistent_read=True)


def due_together(ports: PublishingPorts, org_id: str, connection_ids: list[str], n: int, text: str) -> list:
    """``n`` posts for ``connection_ids``, scheduled 5 s ahead, with the clock moved to when they are all due."""
    posts = [make_post(ports, org_id, connection_ids, text=f"{text} {i}") for i in range(n)]
    for p in posts:
        schedule_in(ports, org_id, p.post_id, 5)
    clock.advance(5)
    return posts
