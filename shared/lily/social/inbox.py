"""The engagement inbox of an organization: one item per stored engagement event (comment, mention, reply), read,
filtered and triaged through ``/api/orgs/{org_id}/inbox`` (``functions/inbox``).

Items are built by the ``social_inbound`` worker right after it stores the event (:func:`add`), one conditional put
keyed by the event, so a redelivered message builds nothing twice. Every read and write names the organization's
partition: another organization's item is "not found", never shown.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from lily.core import clock, events
from lily.core.db import won
from lily.core.errors import invalid, not_found
from lily.core.observability import count, logger
from lily.core.pages import PageParams, query_page
from lily.social.models import EngagementEvent, InboxItem
from lily.social.ports import InboxPorts
from lily.social.sentiment import sentiment

if TYPE_CHECKING:
    from lily.social.schemas import InboxItemView, InboxPage, InboxUpdate

FILTERS = ("status", "read", "platform", "assignee_id", "kind", "sentiment")


def item_id_of(event: EngagementEvent) -> str:
    """Newest first in the org's partition (ms of the engagement), unique per event (hash of its id)."""
    ms = int(event.occurred_at.timestamp() * 1000)
    return f"ibx_{ms:013d}{hashlib.sha256(event.event_id.encode()).hexdigest()[:12]}"


def add(event: EngagementEvent) -> bool:
    """The inbox item of ``event``; False when it exists already (a redelivered event)."""
    now = clock.now()
    item = InboxItem(
        event.org_id, item_id_of(event), event_id=event.event_id, connection_id=event.connection_id,
        platform=event.platform, account_id=event.account_id, kind=event.kind, platform_item_id=event.item_id,
        post_id=event.post_id, parent_id=event.parent_id, author_id=event.author_id, author_name=event.author_name,
        text=event.text, sentiment=sentiment(event.text), read=False, status="open", occurred_at=event.occurred_at,
        created_at=now, updated_at=now)
    if not won(lambda: item.save(condition=InboxItem.item_id.does_not_exist())):
        return False
    count("inbox_items_created_total", platform=event.platform, kind=event.kind, sentiment=item.sentiment)
    logger.info("inbox item created", extra={"org_id": event.org_id, "item_id": item.item_id,
                                             "platform": event.platform, "kind": event.kind})
    events.emit("inbox.item_created", event.org_id, {
        "item_id": item.item_id, "platform": event.platform, "connection_id": event.connection_id,
        "kind": event.kind, "post_id": event.post_id, "author_name": event.author_name, "text": event.text,
        "sentiment": item.sentiment, "occurred_at": clock.iso(event.occurred_at) if event.occurred_at else None})
    return True


def view(item: InboxItem) -> InboxItemView:
    # the inbox API's models, imported by the routes that answer with them: the inbound and reply workers store
    # items and send replies and need not build social's API
    from lily.social.schemas import InboxItemView, InboxReplyView

    reply = None
    if item.reply_state:
        reply = InboxReplyView(state=item.reply_state, text=item.reply_text or "", by=item.reply_by,
                               platform_id=item.reply_platform_id, url=item.reply_url, error=item.reply_error,
                               attempts=int(item.reply_attempts or 0), replied_at=item.replied_at)
    return InboxItemView(
        item_id=item.item_id, platform=item.platform, connection_id=item.connection_id, kind=item.kind,
        author_id=item.author_id, author_name=item.author_name, text=item.text, post_id=item.post_id,
        platform_item_id=item.platform_item_id, sentiment=item.sentiment, read=bool(item.read),
        assignee_id=item.assignee_id, status=item.status, occurred_at=item.occurred_at,
        created_at=item.created_at, updated_at=item.updated_at, reply=reply)


def get(org_id: str, item_id: str) -> InboxItem:
    try:
        return InboxItem.get(org_id, item_id, consistent_read=True)
    except InboxItem.DoesNotExist:
        raise not_found("inbox item", item_id=item_id) from None


def list_items(org_id: str, page: PageParams, **filters: Any) -> InboxPage:
    """The org's items, newest first, with every filter given (equality; ``read`` a bool)."""
    from lily.social.schemas import InboxPage

    condition = None
    for name in FILTERS:
        value = filters.get(name)
        if value is None:
            continue
        term = getattr(InboxItem, name) == value
        condition = term if condition is None else condition & term
    items, cursor = query_page(
        lambda start, limit: InboxItem.query(org_id, scan_index_forward=False, filter_condition=condition,
                                             last_evaluated_key=start, limit=limit),
        {"org_id": org_id}, page, view)
    return InboxPage(items=items, next_cursor=cursor)


def update(ports: InboxPorts, org_id: str, item_id: str, body: InboxUpdate) -> InboxItemView:
    """Mark read or unread, assign to a member (or unassign with null), change the status."""
    fields = body.model_fields_set
    if not fields:
        raise invalid("nothing to change: give read, status or assignee_id")
    item = get(org_id, item_id)
    actions = [InboxItem.updated_at.set(clock.now())]
    if "read" in fields and body.read is not None:
        actions.append(InboxItem.read.set(body.read))
    if "status" in fields and body.status is not None:
        actions.append(InboxItem.status.set(body.status))
    if "assignee_id" in fields:
        if body.assignee_id is None:
            actions.append(InboxItem.assignee_id.remove())
        elif not ports.members.is_member(org_id, body.assignee_id):
            raise invalid("the assignee is not a member of this organization", field="assignee_id")
        else:
            actions.append(InboxItem.assignee_id.set(body.assignee_id))
    if len(actions) == 1:
        raise invalid("read and status cannot be null")
    if not won(lambda: item.update(actions=actions, condition=InboxItem.item_id.exists())):
        raise not_found("inbox item", item_id=item_id)
    return view(item)
