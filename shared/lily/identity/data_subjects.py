"""Identity's side of the data rights (privacy's :class:`lily.privacy.ports.DataSubjects`): who a person is, what
they own, ending their sessions, and the audit record of an erasure."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from lily.identity import audit
from lily.identity.models import Membership, Org, User
from lily.identity.revocation import revoke_all_sessions
from lily.privacy.ports import OwnedOrg


class IdentitySubjects:
    def email_of(self, user_id: str) -> str | None:
        try:
            return User.get(user_id).email
        except DoesNotExist:
            return None

    def member_orgs(self, user_id: str) -> list[str]:
        return [m.org_id for m in Membership.by_user.query(user_id)]

    def owned_orgs(self, user_id: str) -> list[OwnedOrg]:
        owned = []
        for org_id in self.member_orgs(user_id):
            try:
                org = Org.get(org_id, consistent_read=True)
            except DoesNotExist:
                continue
            if org.owner_id == user_id:
                owned.append(OwnedOrg(org_id=org_id, members=Membership.count(org_id, consistent_read=True)))
        return owned

    def end_sessions(self, user_id: str) -> None:
        revoke_all_sessions(user_id, "erased")

    def record_erasure(self, kind: str, details: dict[str, object]) -> None:
        audit.record(f"privacy.{kind}_erased", "success", details=dict(details), ip="-")
