"""E-mail to an organization's members by role, or to one member (approvals' ``Notifier``, autopilot's ``Mail``):
the e-mail module (the local outbox offline, SES in the cloud), without the audit log or any web framework."""

from __future__ import annotations

from lily.identity import email
from lily.identity.models import Membership


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
