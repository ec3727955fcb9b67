"""Posts: drafts, the content library, scheduling and cancelling.

Scheduling validates every target against its platform's constraints (the social capability's one
validator, through the gateway port), consumes one ``posts_per_day`` of the plan and moves the post and
its targets to ``scheduled`` in one DynamoDB transaction. Cancelling moves ``scheduled``/``queued``
targets back to ``draft`` (a queued target's message is then ignored: its ``dispatch_id`` is gone) and
releases the quota when nothing went out.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from functools import cache

from pynamodb.connection import Connection as DbConnection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from lily.core import clock, ids
from lily.core.config import get_settings
from lily.core.db import condition_failed
from lily.core.errors import ErrorCode, LilyError, conflict, invalid, not_found
from lily.core.observability import count, logger
from lily.publishing import ports
from lily.publishing.models import Media, Post, Target
from lily.publishing.ports import MediaItem, PlatformGateway, QuotaPort
from lily.publishing.schemas import (
    CancelOut,
    ErrorOut,
    PostCreate,
    PostOut,
    PostPage,
    PostUpdate,
    ScheduleIn,
    TargetIn,
    TargetOut,
)
from lily.publishing.settings import publishing_settings
from lily.publishing.states import due_sk, post_status, shard_of, targets_of

EDITABLE = ("draft",)
SCHEDULABLE = ("draft", "scheduled", "failed")
CANCELLABLE = ("scheduled", "queued")


# ---------------------------------------------------------------- views


def target_out(t: Target) -> TargetOut:
    err = ErrorOut(**t.last_error) if t.last_error else None
    return TargetOut(
        target_id=t.target_id, connection_id=t.connection_id, platform=t.platform, state=t.state, text=t.text,
        media_ids=t.media_ids, first_comment=t.first_comment, scheduled_at=t.scheduled_at,
        attempts=int(t.attempts or 0), next_attempt_at=t.next_attempt_at, last_error=err,
        platform_post_id=t.platform_post_id, platform_url=t.platform_url, queued_at=t.queued_at,
        published_at=t.published_at, failed_at=t.failed_at,
    )


def post_out(p: Post, targets: list[Target] | None) -> PostOut:
    return PostOut(
        post_id=p.post_id, org_id=p.org_id, text=p.text or "", media_ids=list(p.media_ids or []),
        first_comment=p.first_comment, status=p.status, platforms=sorted(p.platforms or []),
        scheduled_at=p.scheduled_at, timezone=p.timezone, created_by=p.created_by, created_at=p.created_at,
        updated_at=p.updated_at, version=int(p.version), targets=[target_out(t) for t in targets or []],
    )


def _load(org_id: str, post_id: str) -> Post:
    try:
        return Post.get(org_id, post_id, consistent_read=True)
    except Post.DoesNotExist:
        raise not_found("post", post_id=post_id) from None


def get_post(org_id: str, post_id: str) -> PostOut:
    post = _load(org_id, post_id)
    return post_out(post, targets_of(post_id))


# ---------------------------------------------------------------- drafts


def _check_media(org_id: str, media_ids: list[str]) -> None:
    missing = []
    for mid in dict.fromkeys(media_ids):
        try:
            Media.get(org_id, mid)
        except Media.DoesNotExist:
            missing.append(mid)
    if missing:
        raise invalid("unknown media", media_ids=missing)


def _new_targets(org_id: str, post_id: str, targets: list[TargetIn], gateway: PlatformGateway) -> list[Target]:
    out, unknown, seen = [], [], set()
    for t in targets:
        if t.connection_id in seen:
            raise invalid("a connection appears twice", connection_id=t.connection_id)
        seen.add(t.connection_id)
        conn = gateway.connection(org_id, t.connection_id)
        if conn is None:
            unknown.append(t.connection_id)
            continue
        _check_media(org_id, t.media_ids or [])
        out.append(Target(post_id, ids.new_id("tgt"), org_id=org_id, connection_id=t.connection_id,
                          platform=conn.platform, text=t.text, media_ids=t.media_ids, first_comment=t.first_comment,
                          state="draft", updated_at=clock.now()))
    if unknown:
        raise LilyError(ErrorCode.VALIDATION_004, "connection not found", {"connection_ids": unknown})
    return out


def create_post(org_id: str, body: PostCreate, created_by: str | None = None,
                gateway: PlatformGateway | None = None) -> PostOut:
    gateway = gateway or ports.gateway()
    _check_media(org_id, body.media_ids)
    now = clock.now()
    post_id = ids.new_id("post")
    targets = _new_targets(org_id, post_id, body.targets, gateway)
    post = Post(org_id, post_id, text=body.text, media_ids=body.media_ids, first_comment=body.first_comment,
                status="draft", status_rank=0, platforms={t.platform for t in targets} or None,
                created_by=created_by, created_at=now, updated_at=now, version=1)
    for t in targets:
        t.save()
    post.save(condition=Post.post_id.does_not_exist())
    count("content_posts_created_total")
    return post_out(post, targets)


def update_post(org_id: str, post_id: str, body: PostUpdate, gateway: PlatformGateway | None = None) -> PostOut:
    gateway = gateway or ports.gateway()
    post = _load(org_id, post_id)
    targets = targets_of(post_id)
    if post.status not in EDITABLE or any(t.state not in EDITABLE for t in targets):
        raise conflict("only drafts can be edited; cancel the schedule first", status=post.status)
    actions = [Post.updated_at.set(clock.now()), Post.version.add(1)]
    if body.text is not None:
        actions.append(Post.text.set(body.text))
    if body.media_ids is not None:
        _check_media(org_id, body.media_ids)
        actions.append(Post.media_ids.set(body.media_ids))
    if "first_comment" in body.model_fields_set:
        actions.append(Post.first_comment.set(body.first_comment) if body.first_comment is not None
                       else Post.first_comment.remove())
    new_targets = None
    if body.targets is not None:
        new_targets = _new_targets(org_id, post_id, body.targets, gateway)
        platforms = {t.platform for t in new_targets}
        actions.append(Post.platforms.set(platforms) if platforms else Post.platforms.remove())
    try:
        post.update(actions=actions, condition=(Post.version == post.version) & (Post.status == "draft"))
    except Exception as exc:
        if condition_failed(exc):
            raise conflict("the post changed meanwhile; reload it") from None
        raise
    if new_targets is not None:
        for old in targets:
            old.delete(condition=Target.state == "draft")
        for t in new_targets:
            t.save()
        targets = new_targets
    return post_out(post, targets)


def delete_post(org_id: str, post_id: str, quota: QuotaPort | None = None) -> None:
    post = _load(org_id, post_id)
    targets = targets_of(post_id)
    if any(t.state in ("queued", "publishing") for t in targets):
        raise conflict("a target is being published; wait or cancel first")
    if any(t.state == "scheduled" for t in targets):
        cancel(org_id, post_id, quota=quota)
        targets = targets_of(post_id)
    for t in targets:
        t.delete(condition=Target.state.is_in("draft", "published", "failed"))
    post.delete()


def _encode_cursor(key: dict | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, org_id: str) -> dict:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if raw["org_id"] != org_id or not isinstance(raw["post_id"], str):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise invalid("bad cursor") from None
    return {"org_id": raw["org_id"], "post_id": raw["post_id"]}


def list_posts(org_id: str, *, status: str | None = None, platform: str | None = None,
               date_from: datetime | None = None, date_to: datetime | None = None,
               limit: int = 20, cursor: str | None = None) -> PostPage:
    """The content library, newest first. Dates filter on the scheduled instant (or creation for drafts)."""
    cond = None

    def _and(c):
        nonlocal cond
        cond = c if cond is None else cond & c

    if status:
        _and(Post.status == status)
    if platform:
        _and(Post.platforms.contains(platform))
    start = None
    if cursor:
        key = _decode_cursor(cursor, org_id)
        start = {"org_id": {"S": key["org_id"]}, "post_id": {"S": key["post_id"]}}
    items: list[Post] = []
    more = False
    results = Post.query(org_id, scan_index_forward=False, filter_condition=cond, last_evaluated_key=start,
                         page_size=max(limit, 25))
    for post in results:
        when = post.scheduled_at or post.created_at
        if (date_from and when < date_from) or (date_to and when >= date_to):
            continue
        if len(items) == limit:
            more = True
            break
        items.append(post)
    next_cursor = _encode_cursor({"org_id": org_id, "post_id": items[-1].post_id}) if more and items else None
    return PostPage(items=[post_out(p, None) for p in items], next_cursor=next_cursor)


# ---------------------------------------------------------------- scheduling


def _content_of(post: Post, t: Target) -> tuple[str, list[str], str | None]:
    text = t.text if t.text is not None else post.text or ""
    media = t.media_ids if t.media_ids is not None else list(post.media_ids or [])
    first = t.first_comment if t.first_comment is not None else post.first_comment
    return text, media, first


def media_items(org_id: str, media_ids: list[str]) -> list[MediaItem]:
    out = []
    for mid in media_ids:
        try:
            m = Media.get(org_id, mid)
        except Media.DoesNotExist:
            continue
        out.append(MediaItem(media_id=mid, content_type=m.content_type, size=int(m.size), key=m.key))
    return out


@cache
def _connection(region: str, host: str | None) -> DbConnection:
    return DbConnection(region=region, host=host)


def _db() -> DbConnection:
    s = get_settings()
    return _connection(s.region, s.aws_endpoint_url)


def _today() -> str:
    return clock.now().strftime("%Y-%m-%d")


def schedule(org_id: str, post_id: str, body: ScheduleIn, gateway: PlatformGateway | None = None,
             quota: QuotaPort | None = None) -> PostOut:
    gateway = gateway or ports.gateway()
    quota = quota or ports.quota()
    s = publishing_settings()
    at = body.instant().astimezone(UTC)
    now = clock.now()
    if at <= now:
        raise LilyError(ErrorCode.VALIDATION_002, "scheduled_at must be in the future",
                        {"scheduled_at": clock.iso(at), "now": clock.iso(now)})
    if at > now + timedelta(days=s.max_schedule_days):
        raise LilyError(ErrorCode.VALIDATION_002, f"scheduled_at is more than {s.max_schedule_days} days ahead")
    post = _load(org_id, post_id)
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
        found = gateway.validate(t.platform, text, media_items(org_id, media_ids), first)
        if found:
            problems[t.target_id] = [p.model_dump() for p in found]
    if problems:
        raise LilyError(ErrorCode.CONTENT_001, "a target does not meet its platform's rules", {"targets": problems})

    consumed = False
    if post.quota_day is None:
        quota.consume(org_id, 1)
        consumed = True
    try:
        with TransactWrite(connection=_db()) as tx:
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
    except TransactWriteError as exc:
        if consumed:
            quota.release(org_id, 1)
        logger.info("schedule lost a race", extra={"post_id": post_id, "error": str(exc)[:200]})
        raise conflict("the post changed meanwhile; reload it") from None
    except Exception:
        if consumed:
            quota.release(org_id, 1)
        raise
    count("content_posts_scheduled_total", targets=len(todo))
    logger.info("post scheduled", extra={"post_id": post_id, "at": clock.iso(at), "targets": len(todo)})
    return get_post(org_id, post_id)


def cancel(org_id: str, post_id: str, quota: QuotaPort | None = None) -> CancelOut:
    post = _load(org_id, post_id)
    targets = targets_of(post_id)
    cancelled, kept = [], []
    now = clock.now()
    for t in targets:
        if t.state not in CANCELLABLE:
            if t.state != "draft":
                kept.append(t.target_id)
            continue
        try:
            t.update(actions=[
                Target.state.set("draft"), Target.dispatch_id.remove(), Target.due_shard.remove(),
                Target.due_sk.remove(), Target.scheduled_at.remove(), Target.next_attempt_at.remove(),
                Target.updated_at.set(now),
            ], condition=Target.state.is_in(*CANCELLABLE) & (Target.dispatch_id == t.dispatch_id))
            cancelled.append(t.target_id)
        except Exception as exc:
            if not condition_failed(exc):
                raise
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
        (quota or ports.quota()).release(org_id, 1)
    count("content_posts_cancelled_total")
    return CancelOut(post=post_out(_load(org_id, post_id), targets), cancelled=cancelled, not_cancelled=kept)


def parse_date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return clock.parse_iso(value)
    except ValueError:
        raise invalid(f"{name} must be an ISO 8601 date or instant") from None
