"""Identity's implementations of approvals' :class:`~lily.approvals.ports.AuditLog` and
:class:`~lily.approvals.ports.Notifier` (members' e-mail through the e-mail module: the local outbox offline)."""

from __future__ import annotations

from typing import Any

from lily.identity import audit
from lily.identity.member_mail import MemberMail  # noqa: F401 - approvals' Notifier, re-exported for the bundle


class OrgAudit:
    def record(self, action: str, *, actor_id: str | None, org_id: str, target: str, details: dict[str, Any]) -> None:
        audit.record(action, actor_id=actor_id, org_id=org_id, target=target, details=details)
