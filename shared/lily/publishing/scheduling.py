"""Scheduling and cancelling a post.

Scheduling validates every target against its platform's constraints (the social capability's one
validator, through the gateway port), consumes one ``posts_per_day`` of the plan and moves the post and
its targets to ``scheduled`` in one DynamoDB transaction. Cancelling moves ``scheduled``/``queued``
targets back to ``draft`` (a queued target's message is then ignored: its ``dispatch_id`` is gone) and
releases the quota when nothing went out.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from lily.core import clock, ids
from lily.core.db import won, won_transaction
from lily.core.errors import ErrorCode, LilyError, conflict, invalid
from lily.core.observability import count, logger
from lily.publishing.media import media_items
from lily.publishing.models import Post, Target
from lily.publishing.ports import PublishingPorts
from lily.publishing.post_schemas import CancelOut, PostOut, ScheduleIn
from lily.publishing.posts import get_post, load_post, post_out
from lily.publishing.settings import publishing_settings
from lily.publishing.states import due_sk, post_status, shard_of, targets_of

SCHEDULABLE = ("draft", "scheduled", "failed")
CANCELLABLE = ("scheduled", "queued")


def _content_of(post: Post, t: Target) -> tuple[str, list[str], str | None]:
    text = t.text if t.text is not None else post.text or ""
    media = t.media_ids if t.media_ids is not None else list(post.media_ids or [])
    first = t.first_comment if t.first_comment is not None else post.first_comment
    return text, media, first


def _today() -> str:
    return clock.now().strftime("%Y-%m-%d")


def schedule(ports: PublishingPorts, org_id: str, post_id: str, body: ScheduleIn) -> PostOut:
    gateway, quota = ports.gateway, ports.posts_quota
    s = publishing_settings()
    at = body.instant().astimezone(UTC)
    now = clock.now()
    if at <= now:
        raise LilyError(ErrorCode.VALIDATION_002, "scheduled_at must be in the future",
                        {"scheduled_at": clock.iso(at), "now": clock.iso(now)})
    if at > now + timedelta(days=s.max_schedule_days):
        raise LilyError(ErrorCode.VALIDATION_002, f"scheduled_at is more than {s.max_schedule_days} days ahead")
    post = load_post(org_id, post_id)
    targets = targets_of(post_id)
    if not targets:
        raise invalid("a post needs at least one target to be scheduled")
    busy = [t.target_id for t in targets if t.state in ("queued", "publishing")]
    if busy:
        raise conflict("a target is being published; it can no longer be rescheduled", target_ids=busy)
    todo = [t for t in targets if t.state in SCHEDULABLE]
    if not todo:
        raise conflict("every target is already published")

    problems: dict[str, list[dict]] = {}
    for t in todo:
        conn = gateway.connection(org_id, t.connection_id)
        if conn is None or conn.status != "active":
            problems[t.target_id] = [{"field": "connection_id", "code": "connection_inactive",
                                      "message": f"connection is {conn.status if conn else 'gone'}"}]
            continue
        text, media_ids, first = _content_of(post, t)
        media, missing = media_items(org_id, media_ids)
        found = [p.model_dump() for p in gateway.validate(t.platform, text, media, first)]
        found += [{"field": "media_ids", "code": "media_missing", "message": f"media {mid} does not exist (deleted?)"}
                  for mid in missing]
        if found:
            problems[t.target_id] = found
    if problems:
        raise LilyError(ErrorCode.CONTENT_001, "a target does not meet its platform's rules", {"targets": problems})

    def move_to_scheduled(tx) -> None:
        tx.update(post, actions=[
            Post.status.set("scheduled"), Post.status_rank.set(post_status(targets)[1]),
            Post.scheduled_at.set(at), Post.timezone.set(body.timezone),
            Post.quota_day.set(post.quota_day or _today()), Post.updated_at.set(now), Post.version.add(1),
        ], condition=Post.version == post.version)
        for t in todo:
            tid = t.target_id
            cond = Target.state == t.state
            cond &= (Target.dispatch_id == t.dispatch_id) if t.dispatch_id else Target.dispatch_id.does_not_exist()
            tx.update(t, actions=[
                Target.state.set("scheduled"), Target.scheduled_at.set(at),
                Target.dispatch_id.set(ids.new_id("dsp")),
                Target.due_shard.set(shard_of(tid)), Target.due_sk.set(due_sk(at, tid)),
                Target.attempts.set(0), Target.exhausted.set(False), Target.reconcile.set(False),
                Target.watchdogs.set(0),
                Target.last_error.remove(), Target.next_attempt_at.remove(), Target.attempt_id.remove(),
                Target.first_attempt_at.remove(), Target.failed_at.remove(), Target.updated_at.set(now),
            ], condition=cond)

    consumed = post.quota_day is None  # a reschedule already holds its day's quota
    if consumed:
        quota.consume(org_id, 1)
    committed = False
    try:
        committed = won_transaction(move_to_scheduled)
    finally:
        if consumed and not committed:  # lost the race, or the write failed: nothing was scheduled
            quota.release(org_id, 1)
    if not committed:
        logger.info("schedule lost a race", extra={"post_id": post_id})
        raise conflict("the post changed meanwhile; reload it")
    count("publishing_posts_scheduled_total", targets=len(todo))
    logger.info("post scheduled", extra={"post_id": post_id, "at": clock.iso(at), "targets": len(todo)})
    return get_post(org_id, post_id)


def cancel(ports: PublishingPorts, org_id: str, post_id: str) -> CancelOut:
    post = load_post(org_id, post_id)
    targets = targets_of(post_id)
    cancelled, kept = [], []
    now = clock.now()
    back_to_draft = [
        Target.state.set("draft"), Target.dispatch_id.remove(), Target.due_shard.remove(), Target.due_sk.remove(),
        Target.scheduled_at.remove(), Target.next_attempt_at.remove(), Target.updated_at.set(now),
    ]
    for t in targets:
        if t.state not in CANCELLABLE:
            if t.state != "draft":
                kept.append(t.target_id)
            continue
        still_waiting = Target.state.is_in(*CANCELLABLE) & (Target.dispatch_id == t.dispatch_id)
        if won(lambda t=t, cond=still_waiting: t.update(actions=back_to_draft, condition=cond)):
            cancelled.append(t.target_id)
        else:  # the dispatcher or the publisher moved it first
            kept.append(t.target_id)
    if not cancelled and not kept:
        raise conflict("the post is not scheduled", status=post.status)
    targets = targets_of(post_id)
    status, rank = post_status(targets)
    actions = [Post.status.set(status), Post.status_rank.set(rank), Post.updated_at.set(now), Post.version.add(1)]
    went_out = any(t.state in ("publishing", "published") for t in targets)
    # posts_per_day counts today's schedules: a post scheduled on an earlier day gives nothing back today.
    release = post.quota_day == _today() and not went_out and status == "draft"
    if status == "draft":
        actions += [Post.scheduled_at.remove(), Post.quota_day.remove()]
    post.update(actions=actions)
    if release:
        ports.posts_quota.release(org_id, 1)
    count("publishing_posts_cancelled_total")
    return CancelOut(post=post_out(load_post(org_id, post_id), targets), cancelled=cancelled, not_cancelled=kept)
