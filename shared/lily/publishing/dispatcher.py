"""The every-minute dispatcher: due targets scheduled → queued, each enqueued for its exact second.

Per shard of the sparse ``due`` index it runs two Queries (no Scan):

- the dispatch window, keys up to ``now + lookahead``: scheduled targets. Each moves by a conditional write
  (two dispatchers cannot both move it) *before* its message is sent; if the process dies in between, the
  target's watchdog instant makes a later tick send it again. Targets a missed tick left behind are found
  by the next one.
- the watchdog range (``w#`` keys) up to ``now``, when the publish queue has no backlog: queued or
  publishing targets that nobody has moved for ``watchdog_grace_s`` (a message was lost): their message is
  sent again, and each re-send doubles the next wait. Targets in progress keep their watchdog instant
  ahead of them (every claim, retry and long wait in the pacing line moves it), so they never appear here,
  and never in the dispatch window.

Duplicated messages are harmless: the publisher's transitions are conditional.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from lily.core import clock, queues
from lily.core.aws import client
from lily.core.db import won
from lily.core.observability import count, logger, with_log_context
from lily.publishing import messages
from lily.publishing.messages import PublishMessage
from lily.publishing.models import Target
from lily.publishing.settings import publishing_settings
from lily.publishing.states import WATCH, is_watch_sk, shards, watch_sk

Sent = tuple[PublishMessage, datetime | None]


def _dispatch(t: Target) -> tuple[str, Sent | None]:
    s = publishing_settings()
    now = clock.now()
    at = t.scheduled_at or now
    watch = max(at, now) + timedelta(seconds=s.watchdog_grace_s)
    if not won(lambda: t.update(actions=[Target.state.set("queued"), Target.queued_at.set(now),
                                         Target.due_sk.set(watch_sk(watch, t.target_id)), Target.updated_at.set(now)],
                                condition=(Target.state == "scheduled") & (Target.dispatch_id == t.dispatch_id))):
        return "lost", None
    return "dispatched", (PublishMessage(org_id=t.org_id, post_id=t.post_id, target_id=t.target_id,
                                         dispatch_id=t.dispatch_id or ""), at)


def _watchdog(t: Target) -> tuple[str, Sent | None]:
    s = publishing_settings()
    now = clock.now()
    # Each re-send doubles the next wait: a backlog (targets legitimately silent) must not feed itself.
    wait = s.watchdog_grace_s * 2 ** min(int(t.watchdogs or 0) + 1, 6)
    if not won(lambda: t.update(actions=[Target.due_sk.set(watch_sk(now + timedelta(seconds=wait), t.target_id)),
                                         Target.watchdogs.add(1)],
                                condition=(Target.state == t.state) & (Target.due_sk == t.due_sk)
                                & (Target.dispatch_id == t.dispatch_id))):
        return "lost", None
    logger.warning("watchdog re-enqueues a silent target", extra={"target_id": t.target_id, "state": t.state})
    count("publish_watchdog_requeues_total", platform=t.platform)
    return "watchdog", (PublishMessage(org_id=t.org_id, post_id=t.post_id, target_id=t.target_id,
                                       dispatch_id=t.dispatch_id or "", reason="watchdog"), t.next_attempt_at)


def _drop(t: Target) -> tuple[str, Sent | None]:
    won(lambda: t.update(actions=[Target.due_shard.remove(), Target.due_sk.remove()],
                         condition=(Target.state == t.state) & (Target.due_sk == t.due_sk)))
    return "cleaned", None


def _one(t: Target) -> tuple[str, Sent | None]:
    try:
        if t.state == "scheduled":
            return _dispatch(t)
        if not is_watch_sk(t.due_sk) and (t.due_sk or "") > clock.iso(clock.now()) + "#~":
            return "waiting", None  # a watchdog instant written before watchdog keys had their own range
        if t.state in ("queued", "publishing"):
            return _watchdog(t)
        return _drop(t)
    except Exception:  # noqa: BLE001 - one bad item must not stop the tick; the next tick retries it
        logger.exception("dispatch failed", extra={"target_id": t.target_id})
        return "error", None


def _send(done: list[tuple[str, Sent | None]]) -> list[str]:
    """Send the messages of the targets moved (send_all: one batch per ten). A message that could not be sent
    leaves its target to the watchdog (its instant was written with the move)."""
    try:
        messages.send_all([sent for _, sent in done if sent is not None])
    except Exception:  # noqa: BLE001 - the watchdog re-sends them
        logger.exception("dispatch messages not sent", extra={"targets": len(done)})
        return ["error" if sent is not None else outcome for outcome, sent in done]
    return [outcome for outcome, _ in done]


def _backlog() -> int:
    """Messages waiting (visible) on the publish queue."""
    sqs = client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=queues.queue_url(publishing_settings().queue),
                                     AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"].get("ApproximateNumberOfMessages", 0))


def _due(limit: int) -> list[Target]:
    """Scheduled targets due within the lookahead, then silent targets past their watchdog instant.

    Silent targets are looked for only when the publish queue has no backlog: while messages wait on the
    queue, a target nobody has moved is most likely waiting behind them, and re-sending it would only make
    the backlog longer. A lost message is then found by the first tick after the backlog drains.
    """
    s = publishing_settings()
    now = clock.now()
    horizon = clock.iso(now + timedelta(seconds=s.lookahead_s)) + "#~"  # below every ``w#`` key
    ranges = [Target.due_sk <= horizon]
    if _backlog() == 0:
        ranges.append(Target.due_sk.between(WATCH, f"{WATCH}{clock.iso(now)}#~"))
    found: list[Target] = []
    for shard in shards():
        for condition in ranges:
            for t in Target.due.query(shard, condition, limit=limit - len(found)):
                found.append(t)
            if len(found) >= limit:
                return found
    return found


def tick() -> dict[str, int]:
    """One dispatcher run; returns how many targets it dispatched, re-sent, cleaned or lost to a race."""
    due = _due(publishing_settings().max_per_tick)
    result = {"dispatched": 0, "watchdog": 0, "cleaned": 0, "lost": 0, "waiting": 0, "error": 0}
    if due:
        with ThreadPoolExecutor(max_workers=min(8, len(due))) as pool:  # the conditional moves, in parallel
            done = list(pool.map(with_log_context(_one), due))
        for outcome in _send(done):
            result[outcome] += 1
    if result["dispatched"]:
        count("publish_dispatched_total", result["dispatched"])
    logger.info("dispatcher tick", extra={"due": len(due), **result})
    return {"due": len(due), **result}
