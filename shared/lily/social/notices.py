"""A connection that needs re-authorization: the status change (once), the event for notifications, the
stored notice (idempotent on the event id) and the organization's list of notices."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lily.core import clock
from lily.core.db import won
from lily.core.observability import count, logger
from lily.core.pages import PageParams, query_page
from lily.social.messages import NeedsReauth
from lily.social.messages import send as send_event
from lily.social.models import SocialConnection, SocialNotice

if TYPE_CHECKING:
    from lily.social.schemas import NoticePage


def mark_needs_reauth(conn: SocialConnection, reason: str) -> bool:
    """Move an active connection to needs_reauth and emit an event for notifications (once)."""
    moved = won(lambda: conn.update(
        actions=[
            SocialConnection.status.set("needs_reauth"),
            SocialConnection.status_reason.set(reason[:200]),
            SocialConnection.updated_at.set(clock.now()),
        ],
        condition=SocialConnection.status == "active",
    ))
    if not moved:
        return False  # not active (any more): someone else moved it
    send_event(NeedsReauth(org_id=conn.org_id, connection_id=conn.connection_id, platform=conn.platform,
                           account_name=conn.account_name, reason=reason[:200]))
    count("social_needs_reauth_total", platform=conn.platform)
    logger.warning(
        "social connection needs re-authorization",
        extra={"org_id": conn.org_id, "connection_id": conn.connection_id, "platform": conn.platform, "reason": reason},
    )
    return True


def record_notice(event: NeedsReauth) -> bool:
    """Store a notification event (idempotent on its event id). Returns False for a duplicate."""
    notice = SocialNotice(
        event.org_id,
        event.event_id,
        kind=event.kind,
        connection_id=event.connection_id,
        platform=event.platform,
        account_name=event.account_name,
        reason=event.reason,
        created_at=clock.now(),
    )
    return won(lambda: notice.save(condition=SocialNotice.notice_id.does_not_exist()))


def notices(org_id: str, page: PageParams) -> NoticePage:
    """Newest first."""
    # the HTTP route's models, imported here: the workers that mark connections (publisher, analytics, token health)
    # never list notices and need not build social's API models at init
    from lily.social.schemas import NoticePage, NoticeView

    def view(n: SocialNotice) -> NoticeView:
        return NoticeView(notice_id=n.notice_id, kind=n.kind, connection_id=n.connection_id, platform=n.platform,
                          account_name=n.account_name, reason=n.reason, created_at=n.created_at)

    items, cursor = query_page(
        lambda start, n: SocialNotice.query(org_id, scan_index_forward=False, last_evaluated_key=start, limit=n),
        {"org_id": org_id}, page, view)
    return NoticePage(items=items, next_cursor=cursor)
