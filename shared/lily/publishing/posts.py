"""Reading posts: one post with its targets, and the content library (newest first, filtered, paged)."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from lily.core import clock
from lily.core.errors import invalid, not_found
from lily.publishing.models import Post, Target
from lily.publishing.post_schemas import ErrorOut, FirstCommentOut, PostOut, PostPage, TargetOut
from lily.publishing.states import targets_of


def target_out(t: Target) -> TargetOut:
    err = ErrorOut(**t.last_error) if t.last_error else None
    return TargetOut(
        target_id=t.target_id, connection_id=t.connection_id, platform=t.platform, state=t.state, text=t.text,
        media_ids=t.media_ids, first_comment=t.first_comment, scheduled_at=t.scheduled_at,
        attempts=int(t.attempts or 0), next_attempt_at=t.next_attempt_at, last_error=err,
        platform_post_id=t.platform_post_id, platform_url=t.platform_url, queued_at=t.queued_at,
        published_at=t.published_at, failed_at=t.failed_at,
        first_comment_status=FirstCommentOut(
            state=t.fc_state, attempts=int(t.fc_attempts or 0), platform_comment_id=t.fc_platform_id, url=t.fc_url,
            posted_at=t.fc_posted_at, error=t.fc_error) if t.fc_state else None,
    )


def post_out(p: Post, targets: list[Target] | None) -> PostOut:
    return PostOut(
        post_id=p.post_id, org_id=p.org_id, text=p.text or "", media_ids=list(p.media_ids or []),
        first_comment=p.first_comment, status=p.status, platforms=sorted(p.platforms or []),
        scheduled_at=p.scheduled_at, timezone=p.timezone, created_by=p.created_by, approval=p.approval,
        approval_at=p.approval_at if p.approval == "pending" else None, created_at=p.created_at,
        updated_at=p.updated_at, version=int(p.version), targets=[target_out(t) for t in targets or []],
    )


def load_post(org_id: str, post_id: str) -> Post:
    try:
        return Post.get(org_id, post_id, consistent_read=True)
    except Post.DoesNotExist:
        raise not_found("post", post_id=post_id) from None


def get_post(org_id: str, post_id: str) -> PostOut:
    post = load_post(org_id, post_id)
    return post_out(post, targets_of(post_id))


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


def parse_date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return clock.parse_iso(value)
    except ValueError:
        raise invalid(f"{name} must be an ISO 8601 date or instant") from None
