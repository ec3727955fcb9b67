"""Store one queued engagement (:class:`InboundEngagement`) for every organization that connected the account it
happened to, as a raw engagement event (``social_engagement_events``) the inbox builds on.

The account's connections come from the ``by_account`` index of ``social_connections``: an account no organization
connected (never, or disconnected since) is acknowledged and dropped with
``social_webhook_events_dropped_total{platform, reason="unknown_account"}``. Storing is a conditional put on
(org, event id), so a redelivered message stores nothing twice; each stored event becomes an inbox item
(:func:`lily.social.inbox.add`, conditional on its own key as well).
"""

from __future__ import annotations

from datetime import UTC, datetime

from lily.core import clock
from lily.core.db import won
from lily.core.observability import count, logger
from lily.social import inbox
from lily.social.inbound_messages import InboundEngagement
from lily.social.models import EngagementEvent, SocialConnection


def _connections(platform: str, account_id: str) -> list[tuple[str, str]]:
    """(org id, connection id) of every connection of ``account_id`` on ``platform``."""
    return [(c.org_id, c.connection_id) for c in
            SocialConnection.by_account.query(account_id, SocialConnection.platform == platform)]


def store(event: InboundEngagement) -> str:
    """Store ``event`` for each organization connected to its account; returns what happened (for the log)."""
    connections = _connections(event.platform, event.account_id)
    if not connections:
        count("social_webhook_events_dropped_total", platform=event.platform, reason="unknown_account")
        logger.info("engagement for an unknown account dropped",
                    extra={"platform": event.platform, "event_id": event.event_id})
        return "unknown_account"
    stored = 0
    for org_id, connection_id in connections:
        item = EngagementEvent(
            org_id, event.event_id, connection_id=connection_id, platform=event.platform,
            account_id=event.account_id, kind=event.kind, item_id=event.item_id, post_id=event.post_id,
            parent_id=event.parent_id, author_id=event.author_id, author_name=event.author_name, text=event.text,
            occurred_at=datetime.fromtimestamp(event.occurred_at, tz=UTC),
            received_at=datetime.fromtimestamp(event.received_at, tz=UTC), stored_at=clock.now(),
        )
        if won(lambda item=item: item.save(condition=EngagementEvent.event_id.does_not_exist())):
            stored += 1
            count("social_engagement_events_stored_total", platform=event.platform, kind=event.kind)
        else:  # a duplicate (redelivered, or delivered and polled): the item is the stored event's, dated as it is
            item = EngagementEvent.get(org_id, event.event_id, consistent_read=True)
        inbox.add(item)  # also after a duplicate: a worker that died between the two puts left no item
    logger.info("engagement stored", extra={"platform": event.platform, "event_id": event.event_id,
                                            "organizations": len(connections), "stored": stored})
    return "stored" if stored else "duplicate"


def for_org(org_id: str, limit: int = 100) -> list[EngagementEvent]:
    """An organization's raw engagement events (the inbox worker's read; tenant-scoped by the partition key)."""
    return list(EngagementEvent.query(org_id, limit=limit))
