"""What approvals needs from other capabilities, and the bundle its use cases take (:class:`ApprovalPorts`).

- :class:`PostSubjects`: publishing applies a decision to a post (approve and schedule it, or decline it);
  ``lily.publishing.approval_posts.PostApprovals``.
- :class:`DraftSubjects`: content applies a decision to an AI draft (its existing approve);
  ``lily.content.approval_drafts.DraftApprovals``.
- :class:`AuditLog`: identity's audit log (every decision is in it); :class:`Notifier`: e-mail to the org's
  approvers and to a request's author (identity's members and e-mail module: the local outbox offline).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, Protocol


class PostSubjects(Protocol):
    def approve(self, org_id: str, post_id: str, text: str | None, at: datetime | None) -> dict[str, Any]:
        """Approve a pending post (optionally with new text) and schedule it; returns the post as JSON."""

    def decline(self, org_id: str, post_id: str, decision: str) -> dict[str, Any]:
        """``rejected`` or ``changes_requested``: the post stays unpublished; returns the post as JSON."""


class DraftSubjects(Protocol):
    def approve(self, org_id: str, draft_id: str) -> dict[str, Any]:
        """Accept a flagged draft's wording (it becomes schedulable); returns the draft as JSON."""

    def exists(self, org_id: str, draft_id: str) -> bool:
        """Does the org have this draft?"""


class AuditLog(Protocol):
    def record(self, action: str, *, actor_id: str | None, org_id: str, target: str,
               details: dict[str, Any]) -> None:
        """One audit event of the organization."""


class Notifier(Protocol):
    def to_roles(self, org_id: str, roles: list[str], subject: str, text: str) -> int:
        """E-mail every member holding one of ``roles``; returns how many were sent."""

    def to_user(self, org_id: str, user_id: str, subject: str, text: str) -> bool:
        """E-mail one member of the org (False when they are not a member any more)."""


class ApprovalPorts(NamedTuple):
    posts: PostSubjects
    drafts: DraftSubjects
    audit: AuditLog
    notify: Notifier
