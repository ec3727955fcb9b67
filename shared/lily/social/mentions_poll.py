"""Mentions polling every 15 minutes, for the platforms whose webhooks Lily does not get (X's Account Activity API
needs an Enterprise plan): ``LILY_SOCIAL_MENTIONS_POLL_PLATFORMS`` (default ``["x"]``).

For each active connection of those platforms (Scan: a maintenance job, not a request path), the job reads the
account's mentions newer than the last one seen (X ``GET /2/users/:id/mentions`` with ``since_id``, paging back),
queues each as an :class:`InboundEngagement` on ``social_inbound`` (the same message and event id,
``x:<post id>``, as a webhook delivery, so an engagement both delivered and polled is stored once), and then
moves the connection's cursor (``social_mention_cursors``) to the newest id, with a conditional write on the id
it read: two overlapping runs never move it back. A first poll reads the newest page only.

Paced: one account at a time, ``mentions_poll_pause_s`` between two reads; an account polled less than
``mentions_poll_min_age_s`` ago is skipped; the run stops before the Lambda's deadline and the next run goes on.
A platform failure skips that account this time (its cursor stays, so nothing is lost).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import Field

from lily.core import clock, queues
from lily.core.db import won
from lily.core.errors import LilyError
from lily.core.observability import count, logger
from lily.core.schema import Schema
from lily.social import tokens
from lily.social.inbound_messages import QUEUE, InboundEngagement
from lily.social.models import MentionCursor, SocialConnection
from lily.social.platforms import adapter
from lily.social.settings import social_settings

POLLED = ("x",)  # platforms with a mentions read (the adapter's ``mentions``)


class PollReport(Schema):
    polled: int = 0
    queued: int = 0
    skipped: int = 0
    failed: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)


def _engagement(conn: SocialConnection, tweet: dict) -> InboundEngagement:
    replied = next((r["id"] for r in tweet.get("referenced_tweets") or [] if r.get("type") == "replied_to"), None)
    at = clock.parse_iso(tweet["created_at"]).timestamp() if tweet.get("created_at") else clock.now_ts()
    return InboundEngagement(
        event_id=f"x:{tweet['id']}", platform="x", account_id=conn.account_id,
        kind="reply" if replied else "mention", item_id=tweet["id"],
        post_id=tweet.get("conversation_id") if replied else None, parent_id=replied,
        author_id=tweet.get("author_id"), author_name=(tweet.get("author") or {}).get("username"),
        text=tweet.get("text") or "", occurred_at=at, received_at=clock.now_ts())


def poll_connection(conn: SocialConnection) -> tuple[str, int]:
    """(outcome, mentions queued) of one connection: ``polled`` | ``recent`` | ``failed``."""
    s = social_settings()
    try:
        cursor = MentionCursor.get(conn.org_id, conn.connection_id, consistent_read=True)
    except MentionCursor.DoesNotExist:
        cursor = None
    if cursor and (clock.now() - cursor.polled_at).total_seconds() < s.mentions_poll_min_age_s:
        return "recent", 0
    platform = adapter(conn.platform)
    since_id = cursor.since_id if cursor else None
    try:
        found = platform.mentions(tokens.credentials(conn.org_id, conn.connection_id, platform), since_id)
    except LilyError as exc:  # PlatformError too: this account is read again next run, from the same id
        logger.warning("mentions poll failed", extra={"connection_id": conn.connection_id, "platform": conn.platform,
                                                      "error": type(exc).__name__})
        return "failed", 0
    events = [_engagement(conn, t) for t in found]
    refused = queues.send_batch(QUEUE, [(e.model_dump(), 0) for e in events]) if events else []
    if refused:  # keep the cursor where it was: the next run reads them again (the worker de-duplicates)
        logger.warning("mentions not queued", extra={"connection_id": conn.connection_id, "refused": len(refused)})
        return "failed", len(events) - len(refused)
    newest = max((t["id"] for t in found), key=int, default=since_id)
    item = MentionCursor(conn.org_id, conn.connection_id, since_id=newest, polled_at=clock.now())
    cond = (MentionCursor.since_id == since_id) if since_id else MentionCursor.since_id.does_not_exist()
    if not won(lambda: item.save(condition=cond)):
        logger.info("mention cursor moved by another run", extra={"connection_id": conn.connection_id})
    for e in events:
        count("social_mentions_polled_total", platform=conn.platform, kind=e.kind)
    return "polled", len(events)


def run(remaining_s: Callable[[], float] | None = None, sleep: Callable[[float], None] = time.sleep) -> PollReport:
    """Poll every due connection of the polled platforms; stops with under 20 s of ``remaining_s`` left."""
    s = social_settings()
    platforms = [p for p in s.mentions_poll_platforms if p in POLLED]
    report = PollReport()
    if not platforms:
        return report
    first = True
    for conn in SocialConnection.scan(SocialConnection.status == "active"):
        if conn.platform not in platforms:
            continue
        if remaining_s is not None and remaining_s() < 20:
            report.skipped += 1  # the next run polls it
            continue
        if not first and s.mentions_poll_pause_s:
            sleep(s.mentions_poll_pause_s)
        try:
            outcome, queued = poll_connection(conn)
        except Exception:  # noqa: BLE001 - one broken connection must not stop the job
            logger.exception("mentions poll error", extra={"connection_id": conn.connection_id})
            outcome, queued = "failed", 0
        first = outcome == "recent" and first
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        report.queued += queued
        report.polled += outcome == "polled"
        report.failed += outcome == "failed"
    logger.info("mentions poll done", extra=report.model_dump())
    return report
