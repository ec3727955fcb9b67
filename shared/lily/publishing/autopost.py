"""Posts that Lily makes by itself (recurring occurrences, evergreen picks, feed items, imported rows): each one
is claimed first, so that it becomes **at most one post** however often the work is retried or repeated.

:func:`create_once` writes the claims (one key, or several in one transaction: a feed item's GUID *and* its
link) conditional on their absence, with the post id it is going to create. Then the post is created with that
id (:func:`lily.publishing.editing.create_post`), then scheduled at an instant (:func:`scheduling.schedule`:
validation, the posts/day quota) or dropped into a posting queue (:func:`queues.enqueue`) or left a draft, and
the claim is marked done with its outcome. A retry after a crash finds the claim, and finishes the same post
(created once, scheduled once); a repeat of finished work finds the claim done and creates nothing.

Everything then goes out through the dispatcher and the exactly-once publisher like any scheduled post. When
scheduling refuses (the quota used up, the platform's rules, a conflict), the post stays a draft and the outcome
says why: nothing is lost, nothing goes out twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from lily.core import clock, ids
from lily.core.db import won, won_transaction
from lily.core.errors import LilyError
from lily.core.observability import count, logger
from lily.publishing import approval, editing, queues, scheduling
from lily.publishing.models import AutopostClaim, Post, Target
from lily.publishing.ports import ApprovalGate, SchedulingPorts
from lily.publishing.post_schemas import PostCreate, ScheduleIn, TargetIn
from lily.publishing.states import targets_of

# A claim younger than this whose post is not done belongs to a run still making it (every function that makes
# posts times out sooner); an older one was left by a run that stopped, and is finished with the same post id.
CLAIM_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Content:
    text: str
    connection_ids: list[str]
    media_ids: list[str] = field(default_factory=list)
    first_comment: str | None = None
    texts: dict[str, str] = field(default_factory=dict)  # a connection's own text (evergreen's rewording)


class Made(NamedTuple):
    """What :func:`create_once` did: ``duplicate`` (the claim was done before: nothing new), or the post's
    ``outcome`` (``scheduled``, ``queued``, ``approval`` (waiting for an approver), ``draft``; ``draft`` with
    ``error`` when scheduling or the submission refused)."""

    duplicate: bool
    post_id: str | None
    outcome: str | None = None
    error: dict | None = None
    busy: bool = False  # another run holds the claim right now: nothing done, try again later


def _error(exc: LilyError) -> dict:
    return {"code": exc.code.value, "message": exc.message, "details": exc.details}


def create_once(ports: SchedulingPorts, org_id: str, keys: list[str], content: Content, *, source: str,
                at: datetime | None = None, timezone: str = "UTC", queue_id: str | None = None,
                created_by: str | None = None, approval_gate: ApprovalGate | None = None) -> Made:
    """Create the post that ``keys`` stand for, unless one of them already made one (see the module doc).

    ``at``: schedule it then; ``queue_id``: put it in that queue's next free slot; neither: a draft.
    ``approval_gate`` (with ``at``): the post waits for an approver (a request in ``GET .../approvals``, asked for
    ``at``), is published only once approved, and never if rejected.
    Raises LilyError only for what makes the post itself impossible (an unknown connection or medium): the
    claim is then removed, so the same work can be tried again once fixed."""
    primary = keys[0]
    post_id = ids.new_id("post")
    now = clock.now()

    def claim(tx) -> None:
        for key in keys:
            tx.save(AutopostClaim(key, org_id=org_id, post_id=post_id, source=source, state="claimed",
                                  created_at=now), condition=AutopostClaim.key.does_not_exist())

    if not won_transaction(claim):
        try:
            found = AutopostClaim.get(primary, consistent_read=True)
        except AutopostClaim.DoesNotExist:  # another key (the same link under a new GUID) made it
            return Made(duplicate=True, post_id=None)
        if found.state == "done" or found.org_id != org_id:
            return Made(duplicate=True, post_id=found.post_id, outcome=found.outcome)
        if now - found.created_at < CLAIM_LEASE:  # another run is making it (no function runs this long)
            return Made(duplicate=False, post_id=found.post_id, busy=True)
        post_id = found.post_id  # an earlier attempt stopped half-way: finish the same post
        logger.info("finishing an interrupted automatic post", extra={"key": primary, "post_id": post_id})

    try:
        Post.get(org_id, post_id, consistent_read=True)
    except Post.DoesNotExist:
        for half in targets_of(post_id):  # an attempt that stopped between the targets and the post
            half.delete(condition=Target.state == "draft")
        body = PostCreate(text=content.text, media_ids=content.media_ids, first_comment=content.first_comment,
                          targets=[TargetIn(connection_id=c, text=content.texts.get(c))
                                   for c in content.connection_ids])
        try:
            editing.create_post(ports.posts, org_id, body, created_by, post_id=post_id,
                                approval="required" if approval_gate is not None else None)
        except LilyError:
            for key in keys:
                won(lambda k=key: AutopostClaim(k).delete(condition=AutopostClaim.post_id == post_id))
            raise

    outcome, error = "draft", None
    post = Post.get(org_id, post_id, consistent_read=True)
    if post.status != "draft":
        outcome = "queued" if post.queue_slot else "scheduled"
    elif post.approval == "pending":  # submitted by an attempt that stopped before marking the claim done
        outcome = "approval"
    elif at is not None or queue_id is not None:
        try:
            if approval_gate is not None and at is not None:
                approval.submit(approval_gate, org_id, post_id, ScheduleIn(scheduled_at=at, timezone=timezone),
                                created_by, source)
                outcome = "approval"
            elif queue_id is not None:
                queues.enqueue(ports, org_id, post_id, queue_id)
                outcome = "queued"
            else:
                scheduling.schedule(ports.posts, org_id, post_id, ScheduleIn(scheduled_at=at, timezone=timezone))
                outcome = "scheduled"
        except LilyError as exc:  # the quota, the platform's rules, a full queue: it stays a draft, said so
            error = _error(exc)
    AutopostClaim(primary).update(actions=[AutopostClaim.state.set("done"), AutopostClaim.outcome.set(outcome),
                                           AutopostClaim.error.set(error) if error else AutopostClaim.error.remove()])
    count("publishing_autoposts_total", source=source, outcome=outcome if error is None else "refused")
    return Made(duplicate=False, post_id=post_id, outcome=outcome, error=error)


def due_sk(at: datetime, item_id: str) -> str:
    """Sort key of the ``autopost_due`` index: the instant the item next needs work, then its id."""
    return f"{clock.iso(at)}#{item_id}"
