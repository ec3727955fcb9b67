"""Is a user a member of an organization: social's :class:`lily.social.ports.OrgMembers` (inbox assignees).
A small module on purpose: the inbox function loads the memberships table, not organizations' use cases."""

from __future__ import annotations

from lily.identity.models import Membership


class OrgMembers:
    def is_member(self, org_id: str, user_id: str) -> bool:
        try:
            Membership.get(org_id, user_id)
        except Membership.DoesNotExist:
            return False
        return True
