"""The every-minute dispatcher: due targets scheduled → queued, each enqueued for its exact second.

It Queries the sparse ``due`` index of every shard for keys up to ``now + lookahead`` (no Scan), so
targets a missed tick left behind are found by the next one. Each target moves by a conditional write
(two dispatchers cannot both move it) *before* its message is sent; if the process dies in between,
the target's watchdog instant (also in the ``due`` index) makes a later tick send it again. The same
watchdog re-sends queued or publishing targets nothing has touched for ``watchdog_grace_s`` (a lost
message); duplicates are harmless because the publisher's transitions are conditional.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from lily.core import clock
from lily.core.db import condition_failed
from lily.core.observability import count, logger
from lily.publishing import messages
from lily.publishing.messages import PublishMessage
from lily.publishing.models import Target
from lily.publishing.settings import publishing_settings
from lily.publishing.states import due_sk, shards


def _dispatch(t: Target) -> str:
    s = publishing_settings()
    now = clock.now()
    at = t.scheduled_at or now
    watch = max(at, now) + timedelta(seconds=s.watchdog_grace_s)
    try:
        t.update(actions=[Target.state.set("queued"), Target.queued_at.set(now),
                          Target.due_sk.set(due_sk(watch, t.target_id)), Target.updated_at.set(now)],
                 condition=(Target.state == "scheduled") & (Target.dispatch_id == t.dispatch_id))
    except Exception as exc:
        if condition_failed(exc):
            return "lost"
        raise
    messages.send(PublishMessage(org_id=t.org_id, post_id=t.post_id, target_id=t.target_id,
                                 dispatch_id=t.dispatch_id or ""), not_before=at)
    return "dispatched"


def _watchdog(t: Target) -> str:
    s = publishing_settings()
    now = clock.now()
    # Each re-send doubles the next wait: a backlog (targets legitimately silent) must not feed itself.
    wait = s.watchdog_grace_s * 2 ** min(int(t.watchdogs or 0) + 1, 6)
    try:
        t.update(actions=[Target.due_sk.set(due_sk(now + timedelta(seconds=wait), t.target_id)),
                          Target.watchdogs.add(1)],
                 condition=(Target.state == t.state) & (Target.due_sk == t.due_sk)
                 & (Target.dispatch_id == t.dispatch_id))
    except Exception as exc:
        if condition_failed(exc):
            return "lost"
        raise
    logger.warning("watchdog re-enqueues a silent target", extra={"target_id": t.target_id, "state": t.state})
    count("publish_watchdog_requeues_total", platform=t.platform)
    messages.send(PublishMessage(org_id=t.org_id, post_id=t.post_id, target_id=t.target_id,
                                 dispatch_id=t.dispatch_id or "", reason="watchdog"), not_before=t.next_attempt_at)
    return "watchdog"


def _drop(t: Target) -> str:
    try:
        t.update(actions=[Target.due_shard.remove(), Target.due_sk.remove()],
                 condition=(Target.state == t.state) & (Target.due_sk == t.due_sk))
    except Exception as exc:
        if not condition_failed(exc):
            raise
    return "cleaned"


def _one(t: Target, now_key: str) -> str:
    try:
        if t.state == "scheduled":
            return _dispatch(t)
        if (t.due_sk or "") > now_key:
            return "waiting"  # a watchdog instant inside the lookahead: not silent yet
        if t.state in ("queued", "publishing"):
            return _watchdog(t)
        return _drop(t)
    except Exception:  # noqa: BLE001 - one bad item must not stop the tick; the next tick retries it
        logger.exception("dispatch failed", extra={"target_id": t.target_id})
        return "error"


def tick() -> dict[str, int]:
    """One dispatcher run; returns how many targets it dispatched, re-sent, cleaned or lost to a race."""
    s = publishing_settings()
    horizon = clock.iso(clock.now() + timedelta(seconds=s.lookahead_s)) + "#~"
    due: list[Target] = []
    for shard in shards():
        for t in Target.due.query(shard, Target.due_sk <= horizon):
            due.append(t)
            if len(due) >= s.max_per_tick:
                break
        if len(due) >= s.max_per_tick:
            break
    result = {"dispatched": 0, "watchdog": 0, "cleaned": 0, "lost": 0, "waiting": 0, "error": 0}
    now_key = clock.iso(clock.now()) + "#~"
    if due:
        with ThreadPoolExecutor(max_workers=min(8, len(due))) as pool:
            for outcome in pool.map(lambda t: _one(t, now_key), due):
                result[outcome] += 1
    if result["dispatched"]:
        count("publish_dispatched_total", result["dispatched"])
    logger.info("dispatcher tick", extra={"due": len(due), **result})
    return {"due": len(due), **result}
