"""A post's first comment, posted after the post itself, exactly once per target, with its own state and retries.

- :func:`start` (the publisher, once a target is ``published``): a target whose post (or the target's override)
  has a ``first_comment`` gets ``fc_state = queued`` (conditional: once) and a ``first_comments`` message.
- :func:`process` (the ``first_comments`` worker): one step of :mod:`lily.core.once` on the target's ``fc_*``
  attributes, through the gateway's ``comment`` / ``find_comment`` (X: a self-reply; Facebook and Instagram: the
  post's comments edge; LinkedIn: ``socialActions/{urn}/comments``). The target stays ``published`` whatever
  happens; a comment that fails for good is ``fc_state = failed`` with its error on the target
  (``first_comment_status`` in the API) and a ``first_comment_failed`` notice for the organization.

A publisher that dies between recording ``published`` and :func:`start` leaves the comment unqueued (the post is
out; the target shows no ``first_comment_status``).
"""

from __future__ import annotations

from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError

from lily.core import clock
from lily.core.db import won
from lily.core.observability import count, logger
from lily.core.once import Done, Failure, OnceFields, Policy, step
from lily.publishing.first_comment_messages import FirstCommentMessage, send
from lily.publishing.models import Post, Target
from lily.publishing.ports import CommentTarget, PlatformGateway, PublishError
from lily.publishing.settings import publishing_settings

FIELDS = OnceFields(state="fc_state", attempt_id="fc_attempt_id", lease_until="fc_lease_until",
                    reconcile="fc_reconcile", attempts="fc_attempts", next_at="fc_next_at", error="fc_error",
                    platform_id="fc_platform_id", url="fc_url", done_at="fc_posted_at")


def _policy() -> Policy:
    s = publishing_settings()
    return Policy(lease_s=s.lease_s, reconcile_delay_s=s.reconcile_delay_s, max_attempts=s.max_attempts,
                  backoff_base_s=s.backoff_base_s, backoff_cap_s=s.backoff_cap_s)


def _text(t: Target) -> str | None:
    if t.first_comment is not None:
        return t.first_comment or None
    try:
        return Post.get(t.org_id, t.post_id).first_comment or None
    except Post.DoesNotExist:
        return None


_UNREAD = object()


def start(t: Target, text: str | None | object = _UNREAD) -> bool:
    """Queue ``t``'s first comment once it is published; False when it has none (or it was queued before).
    ``text``: the comment as the publisher already read it (the post's, or the target's override), else read here."""
    if not (_text(t) if text is _UNREAD else text):
        return False
    if not won(lambda: t.update(actions=[Target.fc_state.set("queued"), Target.fc_attempts.set(0)],
                                condition=Target.fc_state.does_not_exist() & (Target.state == "published"))):
        return False
    try:
        send(FirstCommentMessage(org_id=t.org_id, post_id=t.post_id, target_id=t.target_id))
    except (BotoCoreError, ClientError):  # the post is out: the comment's failure shows on the target
        logger.exception("could not queue a first comment", extra={"target_id": t.target_id})
        won(lambda: t.update(actions=[Target.fc_state.set("failed"), Target.fc_error.set(
            {"code": "SYSTEM_002", "kind": "transient", "message": "could not queue the first comment",
             "at": clock.iso()})], condition=Target.fc_state == "queued"))
        return False
    count("first_comments_queued_total", platform=t.platform)
    return True


def _classify(exc: Exception) -> Failure | None:
    if isinstance(exc, PublishError):
        return Failure(exc.kind, exc.message, exc.retryable, ambiguous=exc.ambiguous, reset_at=exc.reset_at,
                       code=exc.code.value)
    return None


def process(msg: FirstCommentMessage, gateway: PlatformGateway) -> str:
    """One step of the target's first comment; returns what happened (for the log)."""
    try:
        t = Target.get(msg.post_id, msg.target_id, consistent_read=True)
    except Target.DoesNotExist:
        return "ignored"
    text = _text(t)
    if t.org_id != msg.org_id or t.state != "published" or not t.platform_post_id or not text:
        return "ignored"
    since = (t.published_at or clock.now()) - timedelta(seconds=5)
    target = CommentTarget(target_id=t.target_id, org_id=t.org_id, connection_id=t.connection_id,
                           platform=t.platform, platform_post_id=t.platform_post_id, text=text, since=since)

    def call() -> Done:
        out = gateway.comment(target)
        return Done(platform_id=out.platform_post_id, url=out.url)

    def lookup() -> Done | None:
        found = gateway.find_comment(target)
        return Done(platform_id=found.platform_post_id, url=found.url) if found else None

    now = clock.now()
    outcome = step(t, FIELDS, _policy(), call=call, lookup=lookup, classify=_classify,
                   come_back=lambda at: send(msg, at), on_sent=[Target.updated_at.set(now)],
                   on_failed=[Target.updated_at.set(now)])
    count("first_comments_total", platform=t.platform, outcome=outcome)
    if outcome == "failed":
        reason = (t.fc_error or {}).get("message") or "the platform refused the comment"
        gateway.comment_failed(target, reason)
        logger.warning("first comment failed", extra={"target_id": t.target_id, "platform": t.platform})
    return outcome
