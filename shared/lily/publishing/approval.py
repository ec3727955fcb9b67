"""A post's approval state, as publishing keeps it on the post (``Post.approval``).

The org's policy and the request queue belong to :mod:`lily.approvals` (through the :class:`ApprovalGate` port);
what publishing holds is the one fact the publisher needs at claim time: a post whose ``approval`` is set and is
not ``approved`` never goes out (:func:`lily.publishing.publisher._build_target`), whatever its targets' state.

- :func:`schedule_or_submit`: the schedule route. An author who needs approval submits (:func:`submit`, which
  autopilot's waiting posts use too): the post stays a draft, ``pending``, with the instant asked for; anyone
  else schedules (a waiting post is then approved by them).
- :func:`approve` / :func:`decline`: the decisions, called by the approvals workflow (its ``PostSubjects`` port).
  Approving (optionally with new text) schedules the post at the instant asked for, or the one the approver gives.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lily.core import clock
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, conflict
from lily.core.observability import count, logger
from lily.publishing import link_posts, scheduling
from lily.publishing.models import Post, Target
from lily.publishing.ports import ApprovalGate, PublishingPorts
from lily.publishing.post_schemas import PostOut, ScheduleIn
from lily.publishing.posts import get_post, load_post
from lily.publishing.states import targets_of

WAITING = ("required", "pending", "rejected", "changes_requested")


def schedule_or_submit(ports: PublishingPorts, gate: ApprovalGate, org_id: str, post_id: str, body: ScheduleIn,
                       role: str | None, actor: str | None, origin: str = "user") -> PostOut:
    post = load_post(org_id, post_id)
    if post.approval == "approved" or not gate.required(org_id, role, origin):
        if post.approval in WAITING:  # an approver schedules a waiting post: that is their approval
            if not won(lambda: post.update(actions=[Post.approval.set("approved"), Post.approval_at.remove()],
                                           condition=Post.approval == post.approval)):
                raise conflict("the post's approval changed meanwhile; reload it")
            gate.approved_by_scheduling(org_id, post_id, actor)
        return scheduling.schedule(ports, org_id, post_id, body)
    return submit(gate, org_id, post_id, body, actor, origin)


def submit(gate: ApprovalGate, org_id: str, post_id: str, body: ScheduleIn, actor: str | None,
           origin: str) -> PostOut:
    """The post waits for an approver: ``pending`` with the instant asked for, a request in the queue."""
    post = load_post(org_id, post_id)
    at = body.instant().astimezone(UTC)
    if at <= clock.now():
        raise LilyError(ErrorCode.VALIDATION_002, "scheduled_at must be in the future", {"scheduled_at": clock.iso(at)})
    if post.status != "draft":
        raise conflict("only a draft can be submitted for approval", status=post.status)
    if post.approval == "pending":
        raise conflict("the post is already waiting for approval")
    if not won(lambda: post.update(actions=[
            Post.approval.set("pending"), Post.approval_at.set(at), Post.approval_timezone.set(body.timezone),
            Post.updated_at.set(clock.now()), Post.version.add(1)],
            condition=(Post.version == post.version) & (Post.status == "draft"))):
        raise conflict("the post changed meanwhile; reload it")
    gate.submitted(org_id, post_id, actor, origin, at, (post.text or "")[:280])
    count("publishing_posts_submitted_total", origin=origin)
    logger.info("post submitted for approval", extra={"post_id": post_id, "at": clock.iso(at)})
    return get_post(org_id, post_id)


def mark_required(org_id: str, post_id: str) -> None:
    """A new post whose author needs approval: the publisher will refuse it until it is approved."""
    Post(org_id, post_id).update(actions=[Post.approval.set("required")])


def approve(ports: PublishingPorts, org_id: str, post_id: str, text: str | None, at: datetime | None) -> PostOut:
    """Approve a pending post (optionally with new text) and schedule it; on a schedule failure it stays pending."""
    post = load_post(org_id, post_id)
    if post.approval != "pending":
        raise conflict("the post is not waiting for approval", approval=post.approval)
    when = (at or post.approval_at).astimezone(UTC)
    if when <= clock.now():
        raise LilyError(ErrorCode.VALIDATION_002, "the instant asked for has passed: approve with scheduled_at",
                        {"requested_at": clock.iso(post.approval_at)})
    actions = [Post.approval.set("approved"), Post.updated_at.set(clock.now()), Post.version.add(1)]
    if text is not None:
        actions.append(Post.text.set(text))
    if not won(lambda: post.update(actions=actions,
                                   condition=(Post.approval == "pending") & (Post.version == post.version))):
        raise conflict("the post changed meanwhile; reload it")
    if text is not None:  # the approver's text is what goes out: per-target text overrides give way to it
        link_posts.attach(org_id, post_id, [text])
        for t in targets_of(post_id):
            if t.text is not None and t.state == "draft":
                t.update(actions=[Target.text.remove()], condition=Target.state == "draft")
    try:
        return scheduling.schedule(ports, org_id, post_id, ScheduleIn(scheduled_at=when,
                                                                      timezone=post.approval_timezone or "UTC"))
    except LilyError:
        won(lambda: post.update(actions=[Post.approval.set("pending")], condition=Post.approval == "approved"))
        raise


def decline(org_id: str, post_id: str, decision: str) -> PostOut:
    """``rejected`` or ``changes_requested``: the post stays a draft and never publishes until approved."""
    post = load_post(org_id, post_id)
    if not won(lambda: post.update(actions=[Post.approval.set(decision), Post.approval_at.remove(),
                                            Post.updated_at.set(clock.now()), Post.version.add(1)],
                                   condition=Post.approval == "pending")):
        raise conflict("the post is not waiting for approval", approval=post.approval)
    return get_post(org_id, post_id)
