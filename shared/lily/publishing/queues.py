"""Posting queues: weekly slots per connection (or group of connections) that posts are dropped into.

A post joins a queue (:func:`enqueue`) by claiming the next free slot: a ``QueueEntry`` written on condition
that no live post holds it, then scheduled through :func:`lily.publishing.scheduling.schedule` (validation,
the posts/day quota, the dispatcher and the exactly-once publisher as for any post). Slots are skipped when
they conflict (:mod:`lily.publishing.conflicts`). A post holds its entry while ``Post.queue_slot`` names it
and the post is still scheduled at that instant (a post rescheduled or cancelled by hand gives its slot up).

Reorder, shuffle, removal (moving the later posts up when the queue says so) and resume rewrite the queue's
entries in one transaction, each write conditional on the post the entry held, then reschedule the moved
posts. Pausing cancels the waiting posts back to draft and keeps them in order; resuming lays them onto the
next free slots. Every route here needs the ``advanced_scheduling`` plan feature (pro and enterprise).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from lily.core import clock, ids
from lily.core.db import won, won_transaction
from lily.core.errors import ErrorCode, LilyError, conflict, invalid, not_found
from lily.core.observability import count
from lily.core.pages import PageParams, query_page
from lily.publishing import conflicts, scheduling
from lily.publishing.models import Post, Queue, QueueEntry
from lily.publishing.ports import SchedulingPorts
from lily.publishing.post_schemas import EnqueueOut, ScheduleIn
from lily.publishing.posts import get_post, load_post
from lily.publishing.settings import publishing_settings
from lily.publishing.slots import WEEKDAYS, next_slots
from lily.publishing.states import targets_of

if TYPE_CHECKING:
    from lily.publishing.schemas import QueueIn, QueueList, QueueOut, QueueUpdate, ReorderIn

ENTRY_KEEP = timedelta(days=30)  # an entry outlives its slot this long (TTL)


@dataclass
class Held:
    at: datetime
    post: Post


def _slot_key(queue_id: str, at: datetime) -> str:
    return f"{queue_id}#{clock.iso(at)}"


def _weekly(queue: Queue) -> list[tuple[int, time]]:
    return [(WEEKDAYS.index(s["weekday"]), time.fromisoformat(s["time"])) for s in queue.slots]


def _load(org_id: str, queue_id: str) -> Queue:
    try:
        return Queue.get(org_id, queue_id, consistent_read=True)
    except Queue.DoesNotExist:
        raise not_found("queue", queue_id=queue_id) from None


def _held(queue: Queue) -> list[Held]:
    """The posts waiting in ``queue``, in slot order (entries whose post gave the slot up are left out)."""
    entries = list(QueueEntry.query(queue.queue_id, consistent_read=True))
    if not entries:
        return []
    keys = sorted({e.post_id for e in entries})  # a post re-queued after leaving may have a stale entry too
    posts = {p.post_id: p for p in Post.batch_get([(queue.org_id, k) for k in keys])}
    lead = clock.now() + timedelta(seconds=publishing_settings().queue_lead_s)
    out = []
    for e in entries:
        at, post = clock.parse_iso(e.at), posts.get(e.post_id)
        if post is None or post.queue_slot != _slot_key(queue.queue_id, at):
            continue
        if queue.paused and post.status == "draft":
            out.append(Held(at, post))
        elif not queue.paused and post.status == "scheduled" and post.scheduled_at == at and at > lead:
            out.append(Held(at, post))
    return out


def _out(queue: Queue, zone: str, held: list[Held]) -> QueueOut:
    # the queue API's models, imported by the routes that answer with them: the automation workers only enqueue
    from lily.publishing.schemas import QueueEntryOut, QueueOut, SlotIn

    tz = ZoneInfo(zone)
    return QueueOut(queue_id=queue.queue_id, name=queue.name, connection_ids=list(queue.connection_ids),
                    slots=[SlotIn(**s) for s in queue.slots], paused=bool(queue.paused),
                    move_up_on_remove=bool(queue.move_up_on_remove), timezone=zone,
                    entries=[QueueEntryOut(post_id=h.post.post_id, at=h.at, local=h.at.astimezone(tz).isoformat())
                             for h in held])


def _connections(ports: SchedulingPorts, org_id: str, connection_ids: list[str]) -> dict[str, str]:
    found = {}
    for cid in connection_ids:
        conn = ports.posts.gateway.connection(org_id, cid)
        if conn is None:
            raise not_found("connection", connection_id=cid)
        found[cid] = conn.platform
    return found


# ---------------------------------------------------------------- the queue itself

def create(ports: SchedulingPorts, org_id: str, body: QueueIn) -> QueueOut:
    ports.advanced.require(org_id)
    if len(set(body.connection_ids)) != len(body.connection_ids):
        raise invalid("each connection at most once")
    _connections(ports, org_id, body.connection_ids)
    now = clock.now()
    queue = Queue(org_id, ids.new_id("que"), name=body.name.strip(), connection_ids=body.connection_ids,
                  slots=[s.model_dump() for s in body.slots], move_up_on_remove=body.move_up_on_remove,
                  created_at=now, updated_at=now)
    queue.save(condition=Queue.queue_id.does_not_exist())
    count("publishing_queues_created_total")
    return _out(queue, ports.zones.zone(org_id), [])


def list_queues(ports: SchedulingPorts, org_id: str, page: PageParams) -> QueueList:
    from lily.publishing.schemas import QueueList

    ports.advanced.require(org_id)
    zone = ports.zones.zone(org_id)
    items, cursor = query_page(lambda start, n: Queue.query(org_id, last_evaluated_key=start, limit=n),
                               {"org_id": org_id}, page, lambda q: _out(q, zone, _held(q)))
    return QueueList(items=items, next_cursor=cursor)


def get(ports: SchedulingPorts, org_id: str, queue_id: str) -> QueueOut:
    ports.advanced.require(org_id)
    queue = _load(org_id, queue_id)
    return _out(queue, ports.zones.zone(org_id), _held(queue))


def update(ports: SchedulingPorts, org_id: str, queue_id: str, body: QueueUpdate) -> QueueOut:
    ports.advanced.require(org_id)
    queue = _load(org_id, queue_id)
    actions = [Queue.updated_at.set(clock.now()), Queue.version.add(1)]
    if body.name is not None:
        actions.append(Queue.name.set(body.name.strip()))
    if body.slots is not None:
        actions.append(Queue.slots.set([s.model_dump() for s in body.slots]))
    if body.move_up_on_remove is not None:
        actions.append(Queue.move_up_on_remove.set(body.move_up_on_remove))
    if not won(lambda: queue.update(actions=actions, condition=Queue.version == queue.version)):
        raise conflict("the queue changed meanwhile; reload it")
    return _out(queue, ports.zones.zone(org_id), _held(queue))


# ---------------------------------------------------------------- slots

def _free_slots(queue: Queue, zone: str, connections: dict[str, str], n: int, taken: set[datetime],
                post_ids: list[str | None]) -> list[datetime]:
    """The next ``n`` slots of ``queue`` that no waiting post holds and that conflict with nothing else."""
    s = publishing_settings()
    now = clock.now()
    horizon = now + timedelta(days=s.max_schedule_days)
    found: list[datetime] = []
    examined = 0
    for at in next_slots(_weekly(queue), ZoneInfo(zone), now + timedelta(seconds=s.queue_lead_s)):
        examined += 1
        if at > horizon or examined > s.queue_search_slots:
            break
        if at in taken:
            continue
        try:
            conflicts.check(queue.org_id, connections, at, exclude_post_id=post_ids[len(found)])
        except LilyError:
            continue
        found.append(at)
        if len(found) == n:
            return found
    raise LilyError(ErrorCode.WORKFLOW_002, "the queue has no free slot", {
        "reason": "queue_full", "queue_id": queue.queue_id, "slots_examined": examined})


def _rewrite(queue: Queue, before: list[Held], after: list[tuple[datetime, str]]) -> None:
    """Replace the entries of ``before`` with ``after`` in one transaction, each conditional on its post."""
    old = {h.at: h.post.post_id for h in before}
    new = dict(after)

    def writes(tx) -> None:
        for at, post_id in old.items():
            entry = QueueEntry(queue.queue_id, clock.iso(at))
            if at in new:
                if new[at] != post_id:
                    tx.update(entry, actions=[QueueEntry.post_id.set(new[at])], condition=QueueEntry.post_id == post_id)
            else:
                tx.delete(entry, condition=QueueEntry.post_id == post_id)
        for at, post_id in new.items():
            if at not in old:
                tx.save(QueueEntry(queue.queue_id, clock.iso(at), org_id=queue.org_id, post_id=post_id,
                                   expires_at=at + ENTRY_KEEP),
                        condition=QueueEntry.at.does_not_exist())

    if (old or new) and not won_transaction(writes):
        raise conflict("the queue changed meanwhile; reload it")


def _hold(ports: SchedulingPorts, queue: Queue, zone: str, post_id: str, at: datetime) -> None:
    """Point the post at its entry and, unless the queue is paused, schedule it there."""
    Post(queue.org_id, post_id).update(actions=[Post.queue_slot.set(_slot_key(queue.queue_id, at))])
    if not queue.paused:
        scheduling.schedule(ports.posts, queue.org_id, post_id, ScheduleIn(scheduled_at=at, timezone=zone))


# ---------------------------------------------------------------- posts in a queue

def enqueue(ports: SchedulingPorts, org_id: str, post_id: str, queue_id: str) -> EnqueueOut:
    ports.advanced.require(org_id)
    queue = _load(org_id, queue_id)
    post = load_post(org_id, post_id)
    targets = targets_of(post_id)
    if not targets:
        raise invalid("a post needs at least one target to be queued")
    outside = sorted({t.connection_id for t in targets} - set(queue.connection_ids))
    if outside:
        raise invalid("the post has targets on connections the queue does not serve", connection_ids=outside)
    if post.status != "draft":
        raise conflict("only a draft can be queued (cancel it first)", status=post.status)
    zone = ports.zones.zone(org_id)
    connections = {t.connection_id: t.platform for t in targets}
    held = _held(queue)
    if len(held) >= publishing_settings().queue_max_entries:
        raise LilyError(ErrorCode.WORKFLOW_002, "the queue is full", {
            "reason": "queue_full", "queue_id": queue_id, "limit": publishing_settings().queue_max_entries})
    taken = {h.at for h in held}
    for _ in range(5):  # another request may claim the same slot first: take the next one
        at = _free_slots(queue, zone, connections, 1, taken, [post_id])[0]
        entry = QueueEntry(queue_id, clock.iso(at), org_id=org_id, post_id=post_id, expires_at=at + ENTRY_KEEP)
        if won(lambda e=entry: e.save(condition=QueueEntry.at.does_not_exist())) or _reclaim(queue, at, post_id):
            break
        taken.add(at)
    else:
        raise conflict("every free slot was taken meanwhile; retry")
    try:
        _hold(ports, queue, zone, post_id, at)
    except BaseException:  # the slot is given back whatever failed (quota, validation, a race)
        won(lambda: entry.delete(condition=QueueEntry.post_id == post_id))
        Post(org_id, post_id).update(actions=[Post.queue_slot.remove()])
        raise
    count("publishing_posts_queued_total")
    return EnqueueOut(queue_id=queue_id, at=at, local=at.astimezone(ZoneInfo(zone)).isoformat(),
                      post=get_post(org_id, post_id))


def _reclaim(queue: Queue, at: datetime, post_id: str) -> bool:
    """Take over an entry whose post gave its slot up (rescheduled or cancelled by hand), conditionally."""
    try:
        entry = QueueEntry.get(queue.queue_id, clock.iso(at), consistent_read=True)
    except QueueEntry.DoesNotExist:
        return False
    if any(h.at == at for h in _held(queue)):
        return False
    stale = entry.post_id
    return won(lambda: entry.update(actions=[QueueEntry.post_id.set(post_id)], condition=QueueEntry.post_id == stale))


def reorder(ports: SchedulingPorts, org_id: str, queue_id: str, body: ReorderIn) -> QueueOut:
    ports.advanced.require(org_id)
    queue = _load(org_id, queue_id)
    held = _held(queue)
    if sorted(body.post_ids) != sorted(h.post.post_id for h in held):
        raise invalid("post_ids must list every waiting post of the queue once",
                      waiting=[h.post.post_id for h in held])
    return _permute(ports, queue, held, body.post_ids)


def shuffle(ports: SchedulingPorts, org_id: str, queue_id: str) -> QueueOut:
    ports.advanced.require(org_id)
    queue = _load(org_id, queue_id)
    held = _held(queue)
    order = [h.post.post_id for h in held]
    secrets.SystemRandom().shuffle(order)
    return _permute(ports, queue, held, order)


def _permute(ports: SchedulingPorts, queue: Queue, held: list[Held], order: list[str]) -> QueueOut:
    zone = ports.zones.zone(queue.org_id)
    after = list(zip([h.at for h in held], order, strict=True))
    _rewrite(queue, held, after)
    was = {h.post.post_id: h.at for h in held}
    for at, post_id in after:
        if was[post_id] != at:
            _hold(ports, queue, zone, post_id, at)
    return _out(queue, zone, _held(queue))


def remove(ports: SchedulingPorts, org_id: str, queue_id: str, post_id: str) -> QueueOut:
    """Take a post out of the queue (back to draft); the later posts move up one slot when the queue says so."""
    ports.advanced.require(org_id)
    queue = _load(org_id, queue_id)
    zone = ports.zones.zone(org_id)
    held = _held(queue)
    index = next((i for i, h in enumerate(held) if h.post.post_id == post_id), None)
    if index is None:
        raise not_found("queued post", queue_id=queue_id, post_id=post_id)
    rest = [h.post.post_id for h in held if h.post.post_id != post_id]
    slots = [h.at for h in held]
    if queue.move_up_on_remove:
        after = list(zip(slots[:len(rest)], rest, strict=True))
    else:
        after = [(h.at, h.post.post_id) for h in held if h.post.post_id != post_id]
    if not queue.paused:
        scheduling.cancel(ports.posts, org_id, post_id)
    Post(org_id, post_id).update(actions=[Post.queue_slot.remove()])
    _rewrite(queue, held, after)
    was = {h.post.post_id: h.at for h in held}
    for at, pid in after:
        if was[pid] != at:
            _hold(ports, queue, zone, pid, at)
    count("publishing_posts_dequeued_total")
    return _out(queue, zone, _held(queue))


def pause(ports: SchedulingPorts, org_id: str, queue_id: str, paused: bool) -> QueueOut:
    """Pause: the waiting posts go back to draft, kept in order. Resume: they take the next free slots."""
    ports.advanced.require(org_id)
    queue = _load(org_id, queue_id)
    zone = ports.zones.zone(org_id)
    if bool(queue.paused) == paused:
        return _out(queue, zone, _held(queue))
    held = _held(queue)
    if not won(lambda: queue.update(actions=[Queue.paused.set(paused), Queue.version.add(1),
                                             Queue.updated_at.set(clock.now())],
                                    condition=Queue.version == queue.version)):
        raise conflict("the queue changed meanwhile; reload it")
    if paused:
        for h in held:
            scheduling.cancel(ports.posts, org_id, h.post.post_id)
        return _out(queue, zone, _held(queue))
    if held:
        connections = {t.connection_id: t.platform for h in held for t in targets_of(h.post.post_id)}
        order = [h.post.post_id for h in held]
        # slots of entries whose post left are skipped (the rewrite may only create absent entries); the held
        # posts' own slots are free to take again
        stale = {clock.parse_iso(e.at) for e in QueueEntry.query(queue.queue_id, consistent_read=True)}
        free = _free_slots(queue, zone, connections, len(held), stale - {h.at for h in held}, order)
        after = list(zip(free, order, strict=True))
        _rewrite(queue, held, after)
        for at, post_id in after:
            _hold(ports, queue, zone, post_id, at)
    return _out(queue, zone, _held(queue))

