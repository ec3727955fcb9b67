"""The one approval workflow: requests for posts (and AI drafts) open, wait in the org's queue, and are decided.

- :func:`open_request`: a post submitted by an author who needs approval (through publishing's ``ApprovalGate``),
  or a flagged AI draft; an older open request for the same subject is withdrawn. Approvers are e-mailed.
- :func:`pending` / :func:`history` / :func:`get`: the queue (``GET .../approvals``), oldest first, cursor paged.
- :func:`decide`: approve (optionally with new text and instant), reject or request changes (with a comment).
  The decision is taken with a conditional write (two approvers never both decide), then applied to the subject
  through its port; when the subject refuses (the time asked for has passed, the post changed), the request is
  pending again and the error is the answer. Every decision is in the audit log and e-mailed to the author.
- :func:`close_approved`: an approver scheduled a waiting post directly: its open request is closed as approved.
"""

from __future__ import annotations

from datetime import datetime

from lily.approvals import policy
from lily.approvals.models import ApprovalRequest
from lily.approvals.ports import ApprovalPorts
from lily.approvals.schemas import DecisionIn, DecisionOut, RequestOut, RequestPage
from lily.core import clock, events, ids
from lily.core.db import won
from lily.core.errors import LilyError, conflict, forbidden, invalid, not_found
from lily.core.observability import count, logger
from lily.core.pages import PageParams, query_page

STATUS_OF = {"approve": "approved", "reject": "rejected", "request_changes": "changes_requested"}


def out(r: ApprovalRequest) -> RequestOut:
    return RequestOut(request_id=r.request_id, org_id=r.org_id, kind=r.kind, subject_id=r.subject_id,
                      origin=r.origin, status=r.status, summary=r.summary or "", requested_by=r.requested_by,
                      requested_at=r.requested_at, scheduled_at=r.scheduled_at, decided_by=r.decided_by,
                      decided_at=r.decided_at, comment=r.comment, edited=bool(r.edited))


def _open_of(org_id: str, subject_id: str) -> list[ApprovalRequest]:
    return list(ApprovalRequest.open.query(org_id, filter_condition=ApprovalRequest.subject_id == subject_id))


def _close(r: ApprovalRequest, status: str, actor: str | None, comment: str | None = None,
           edited: bool = False) -> bool:
    actions = [ApprovalRequest.status.set(status), ApprovalRequest.open_org.remove(),
               ApprovalRequest.decided_by.set(actor), ApprovalRequest.decided_at.set(clock.now()),
               ApprovalRequest.edited.set(edited)]
    if comment:
        actions.append(ApprovalRequest.comment.set(comment))
    return won(lambda: r.update(actions=actions, condition=ApprovalRequest.status == "pending"))


def open_request(ports: ApprovalPorts, org_id: str, kind: str, subject_id: str, *, requested_by: str | None,
                 origin: str, summary: str, scheduled_at: datetime | None = None) -> RequestOut:
    for older in _open_of(org_id, subject_id):
        _close(older, "withdrawn", requested_by)
    r = ApprovalRequest(org_id, ids.new_id("apr"), kind=kind, subject_id=subject_id, origin=origin,
                        status="pending", summary=summary[:280], requested_by=requested_by,
                        requested_at=clock.now(), scheduled_at=scheduled_at, open_org=org_id)
    r.save(condition=ApprovalRequest.request_id.does_not_exist())
    count("approval_requests_total", kind=kind, origin=origin)
    ports.audit.record("approval.request", actor_id=requested_by, org_id=org_id, target=f"{kind}:{subject_id}",
                       details={"request_id": r.request_id, "origin": origin})
    when = f" for {clock.iso(scheduled_at)}" if scheduled_at else ""
    sent = ports.notify.to_roles(org_id, policy.approver_roles(policy.load(org_id)),
                                 f"A {kind} waits for your approval",
                                 f"A {kind} ({origin}){when} waits for approval:\n\n{r.summary}\n\n"
                                 f"Decide at /api/orgs/{org_id}/approvals/{r.request_id}")
    logger.info("approval requested", extra={"org_id": org_id, "kind": kind, "notified": sent})
    if kind == "post":
        events.emit("post.needs_approval", org_id, {
            "post_id": subject_id, "request_id": r.request_id, "origin": origin, "summary": r.summary,
            "scheduled_at": clock.iso(scheduled_at) if scheduled_at else None})
    return out(r)


def _load(org_id: str, request_id: str) -> ApprovalRequest:
    try:
        return ApprovalRequest.get(org_id, request_id, consistent_read=True)
    except ApprovalRequest.DoesNotExist:
        raise not_found("approval request", request_id=request_id[:80]) from None


def get(org_id: str, request_id: str) -> RequestOut:
    return out(_load(org_id, request_id))


def pending(org_id: str, page: PageParams) -> RequestPage:
    items, cursor = query_page(
        lambda start, n: ApprovalRequest.open.query(org_id, last_evaluated_key=start, limit=n),
        {"open_org": org_id}, page, out)
    return RequestPage(items=items, next_cursor=cursor)


def history(org_id: str, page: PageParams) -> RequestPage:
    items, cursor = query_page(
        lambda start, n: ApprovalRequest.query(org_id, scan_index_forward=False, last_evaluated_key=start, limit=n),
        {"org_id": org_id}, page, out)
    return RequestPage(items=items, next_cursor=cursor)


def decide(ports: ApprovalPorts, org_id: str, request_id: str, body: DecisionIn, *, actor: str,
           role: str) -> DecisionOut:
    p = policy.load(org_id)
    if not policy.may_decide(p, role):
        raise forbidden("only approvers decide", role=role, approver_roles=policy.approver_roles(p))
    r = _load(org_id, request_id)
    if r.status != "pending":
        raise conflict("the request was already decided", status=r.status)
    if r.requested_by == actor and role not in policy.DECIDERS:
        raise forbidden("an approver who is not an admin or owner cannot approve their own request")
    if body.decision != "approve" and not (body.comment or "").strip():
        raise invalid("a comment is required to reject or request changes")
    if r.kind == "draft" and (body.text is not None or body.scheduled_at is not None):
        raise invalid("text and scheduled_at apply to posts only; edit the draft instead")
    status = STATUS_OF[body.decision]
    edited = body.decision == "approve" and body.text is not None
    if not _close(r, status, actor, body.comment, edited):
        raise conflict("another approver decided first")
    try:
        subject = _apply(ports, r, body, status)
    except LilyError:  # the subject refused (time passed, post changed): nothing was decided
        won(lambda: r.update(actions=[ApprovalRequest.status.set("pending"), ApprovalRequest.open_org.set(org_id),
                                      ApprovalRequest.decided_by.remove(), ApprovalRequest.decided_at.remove()],
                             condition=ApprovalRequest.status == status))
        raise
    _record(ports, r, status, actor, body.comment, edited)
    return DecisionOut(request=out(_load(org_id, request_id)), subject=subject)


def _apply(ports: ApprovalPorts, r: ApprovalRequest, body: DecisionIn, status: str) -> dict:
    if r.kind == "post":
        if status == "approved":
            return ports.posts.approve(r.org_id, r.subject_id, body.text, body.scheduled_at)
        return ports.posts.decline(r.org_id, r.subject_id, status)
    if status == "approved":
        return ports.drafts.approve(r.org_id, r.subject_id)
    return {"draft_id": r.subject_id, "status": "flagged"}  # a declined draft stays flagged: it cannot be saved


def _record(ports: ApprovalPorts, r: ApprovalRequest, status: str, actor: str | None, comment: str | None,
            edited: bool) -> None:
    count("approval_decisions_total", kind=r.kind, decision=status)
    ports.audit.record(f"approval.{status}", actor_id=actor, org_id=r.org_id, target=f"{r.kind}:{r.subject_id}",
                       details={"request_id": r.request_id, "comment": comment, "edited": edited})
    if r.requested_by:
        why = f"\n\nComment: {comment}" if comment else ""
        ports.notify.to_user(r.org_id, r.requested_by, f"Your {r.kind} was {status.replace('_', ' ')}",
                             f"Your {r.kind} \"{r.summary[:80]}\" was {status.replace('_', ' ')}.{why}")


def close_approved(ports: ApprovalPorts, org_id: str, subject_id: str, actor: str | None) -> None:
    """An approver scheduled (or approved) the subject outside the queue: its open request is approved by them."""
    for r in _open_of(org_id, subject_id):
        if _close(r, "approved", actor):
            _record(ports, r, "approved", actor, None, False)


def decide_subject(ports: ApprovalPorts, org_id: str, kind: str, subject_id: str, body: DecisionIn, *,
                   actor: str, role: str, summary: str = "") -> DecisionOut:
    """Decide on a subject by its own id (the AI drafts' approve route): its open request, or one opened now."""
    found = _open_of(org_id, subject_id)
    if found:
        r = found[0]
    else:
        r = ApprovalRequest(org_id, ids.new_id("apr"), kind=kind, subject_id=subject_id, origin="user",
                            status="pending", summary=summary[:280], requested_by=None,
                            requested_at=clock.now(), open_org=org_id)
        r.save(condition=ApprovalRequest.request_id.does_not_exist())
    return decide(ports, org_id, r.request_id, body, actor=actor, role=role)
