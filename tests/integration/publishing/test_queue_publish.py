"""A queued post goes out through the dispatcher and the publisher, exactly once, at its slot."""

from __future__ import annotations

from datetime import timedelta

from lily.core import clock
from lily.publishing import queues
from lily.publishing.ports import SchedulingPorts
from lily.publishing.schemas import QueueIn, SlotIn
from lily.publishing.slots import WEEKDAYS
from tests.integration.publishing.helpers import make_post, tick


class Zones:
    def __init__(self, zone: str) -> None:
        self.zone_name = zone

    def zone(self, org_id: str) -> str:
        return self.zone_name


class Allowed:
    def require(self, org_id: str) -> None:
        return None


def test_a_queued_post_is_published_exactly_once_at_its_slot(ports, fake, mq, frozen):
    # Given a queue with a slot two hours from now (UTC org) and two posts on one X connection
    org_id = "org_queue_publish"
    conn = fake.add_connection(org_id, "x")
    slot_at = (clock.now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    sched = SchedulingPorts(posts=ports, zones=Zones("UTC"), advanced=Allowed())
    day = WEEKDAYS[slot_at.weekday()]
    queue = queues.create(sched, org_id, QueueIn(name="q", connection_ids=[conn.connection_id],
                                                 slots=[SlotIn(weekday=day, time=slot_at.strftime("%H:%M"))]))
    first = make_post(ports, org_id, [conn.connection_id], text="first from the queue")
    second = make_post(ports, org_id, [conn.connection_id], text="second from the queue")
    a = queues.enqueue(sched, org_id, first.post_id, queue.queue_id)
    b = queues.enqueue(sched, org_id, second.post_id, queue.queue_id)
    assert a.at == slot_at and (b.at - a.at).days == 7

    # When the clock reaches the first slot and the dispatcher and publisher run (twice over)
    clock.advance((a.at - clock.now()).total_seconds())
    assert tick()["dispatched"] == 1
    outcomes = mq.run_until_idle()
    tick()
    outcomes += mq.run_until_idle()

    # Then the first post went out once, the second waits in its slot
    target = first.targets[0].target_id
    assert outcomes.count("published") == 1
    assert len(fake.posts_of(target)) == 1 and fake.posts_of(target)[0].text == "first from the queue"
    assert fake.posts_of(second.targets[0].target_id) == []
    assert [e.post_id for e in queues.get(sched, org_id, queue.queue_id).entries] == [second.post_id]
