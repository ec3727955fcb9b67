"""Identity's implementations of approvals' :class:`~lily.approvals.ports.AuditLog` and
:class:`~lily.approvals.ports.Notifier` (members' e-mail through the e-mail module: the local outbox offline)."""

from __future__ import annotations

from typing import Any

from lily.identity import audit, email
from lily.identity.models import Membership


class OrgAudit:
    def record(self, action: str, *, actor_id: str | None, org_id: str, target: str, details: dict[str, Any]) -> None:
        audit.record(action, actor_id=actor_id, org_id=org_id, target=target, details=details)


class MemberMail:
    def to_roles(self, org_id: str, roles: list[str], subject: str, text: str) -> int:
        sent = 0
        for m in Membership.query(org_id):
            if m.role in roles and m.email:
                email.send(m.email, subject, text, kind="approval")
                sent += 1
        return sent

    def to_user(self, org_id: str, user_id: str, subject: str, text: str) -> bool:
        try:
            m = Membership.get(org_id, user_id)
        except Membership.DoesNotExist:
            return False
        if not m.email:
            return False
        email.send(m.email, subject, text, kind="approval")
        return True
