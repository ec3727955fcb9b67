"""A reply from the inbox, posted exactly once: ``POST /api/orgs/{org_id}/inbox/{item_id}/reply`` queues it on the
item (:func:`request`), the ``social_replies`` worker sends it (:func:`process`) with the claim, lease and
reconciliation protocol of :mod:`lily.core.once`, and the item records it (``reply``: state, text, the platform's
id and URL, the last error) and becomes ``replied``.

Where a reply goes (:func:`reply_target`): X, a reply post to the post (``reply.in_reply_to_tweet_id``);
Facebook, ``POST /{comment-id}/comments`` (or the post's comments edge for a mention in a post); Instagram,
``POST /{ig-comment-id}/replies`` (on the top comment when answering a reply: Instagram nests one level);
LinkedIn, ``socialActions/{comment URN}/comments`` with ``parentComment`` (a mention in a post: that post's
comments). An Instagram mention cannot be answered here (the Graph API answers mentions through another edge,
not built), and is refused with 422.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from lily.core import clock
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, conflict, invalid
from lily.core.observability import count, logger
from lily.core.once import Done, Failure, OnceFields, Policy, step
from lily.social import inbox
from lily.social.comment_target import CommentOn
from lily.social.models import InboxItem
from lily.social.reply_messages import ReplyMessage, send

if TYPE_CHECKING:
    from lily.social.schemas import InboxItemView

FIELDS = OnceFields(state="reply_state", attempt_id="reply_attempt_id", lease_until="reply_lease_until",
                    reconcile="reply_reconcile", attempts="reply_attempts", next_at="reply_next_at",
                    error="reply_error", platform_id="reply_platform_id", url="reply_url", done_at="replied_at")
POLICY = Policy()  # a 60 s lease over a platform call that times out after http_timeout_s (10 s)
IN_FLIGHT = ("queued", "sending", "sent")


def reply_target(item: InboxItem) -> CommentOn:
    """What the reply answers, per platform (see the module)."""
    if item.platform == "x":
        return CommentOn(post_id=item.platform_item_id)
    if item.platform == "instagram" and item.kind == "mention":
        raise invalid("an Instagram mention cannot be answered from the inbox", platform="instagram")
    post = item.post_id or item.platform_item_id
    answered = item.platform_item_id
    if item.platform == "instagram" and item.kind == "reply" and item.parent_id:
        answered = item.parent_id  # Instagram nests one level: a reply to a reply answers the top comment
    if item.platform == "linkedin" and not answered.startswith("urn:li:comment:"):
        return CommentOn(post_id=answered)  # a mention in a post: comment on that post
    return CommentOn(post_id=post, comment_id=answered if answered != post else None)


def request(org_id: str, item_id: str, text: str, user_id: str | None) -> InboxItemView:
    """Queue ``text`` as the reply to the item; 409 while a reply is queued, sending or sent."""
    item = inbox.get(org_id, item_id)
    reply_target(item)  # 422 before anything is queued
    if item.reply_state in IN_FLIGHT:
        raise conflict("this item already has a reply", reply_state=item.reply_state)
    now = clock.now()
    before = item.reply_state
    cond = InboxItem.reply_state.does_not_exist() if before is None else InboxItem.reply_state == before
    actions = [InboxItem.reply_state.set("queued"), InboxItem.reply_text.set(text),
               InboxItem.reply_requested_at.set(now), InboxItem.reply_attempts.set(0),
               InboxItem.reply_attempt_id.remove(), InboxItem.reply_next_at.remove(), InboxItem.reply_error.remove(),
               # after a failed reply, look for it first: a failure may have been ambiguous
               InboxItem.reply_reconcile.set(before == "failed"), InboxItem.updated_at.set(now)]
    actions.append(InboxItem.reply_by.set(user_id) if user_id else InboxItem.reply_by.remove())
    if not won(lambda: item.update(actions=actions, condition=cond)):
        raise conflict("the item's reply changed meanwhile; read it again")
    try:
        send(ReplyMessage(org_id=org_id, item_id=item_id))
    except (BotoCoreError, ClientError):
        won(lambda: item.update(actions=[InboxItem.reply_state.set("failed"), InboxItem.reply_error.set(
            {"code": ErrorCode.SYSTEM_002.value, "kind": "transient", "message": "could not queue the reply",
             "at": clock.iso()})], condition=InboxItem.reply_state == "queued"))
        raise LilyError(ErrorCode.SYSTEM_002, "Could not queue the reply; retry", {"retry_after_s": 30},
                        headers={"Retry-After": "30"}) from None
    count("inbox_replies_requested_total", platform=item.platform)
    return inbox.view(item)


class CommentCalls(Protocol):
    """The platform calls a reply makes: :mod:`lily.social.comments` (the worker passes the module)."""

    def post(self, org_id: str, connection_id: str, platform: str, on: CommentOn, text: str) -> Done: ...

    def find(self, org_id: str, connection_id: str, platform: str, on: CommentOn, text: str,
             since: float | None) -> Done | None: ...

    def classify(self, exc: Exception) -> Failure | None: ...


def process(calls: CommentCalls, msg: ReplyMessage) -> str:
    """One step of the item's reply (see :mod:`lily.core.once`) through ``calls``; returns what happened."""
    try:
        item = InboxItem.get(msg.org_id, msg.item_id, consistent_read=True)
    except InboxItem.DoesNotExist:
        logger.warning("reply message for an unknown inbox item", extra={"item_id": msg.item_id})
        return "ignored"
    on = reply_target(item)
    text = item.reply_text or ""
    since = (item.reply_requested_at or clock.now()) - timedelta(seconds=5)
    now = clock.now()
    outcome = step(
        item, FIELDS, POLICY,
        call=lambda: calls.post(item.org_id, item.connection_id, item.platform, on, text),
        lookup=lambda: calls.find(item.org_id, item.connection_id, item.platform, on, text, since.timestamp()),
        classify=calls.classify, come_back=lambda at: send(msg, at),
        on_sent=[InboxItem.status.set("replied"), InboxItem.read.set(True), InboxItem.updated_at.set(now)],
        on_failed=[InboxItem.updated_at.set(now)])
    count("inbox_replies_total", platform=item.platform, outcome=outcome)
    logger.info("inbox reply step", extra={"item_id": item.item_id, "platform": item.platform, "outcome": outcome})
    return outcome
