"""The real count behind the ``team_seats`` gauge, for billing's nightly reconciliation
(:class:`lily.billing.ports.GaugeCount`): every membership (the owner's included) holds one seat."""

from __future__ import annotations

from collections import Counter

from lily.identity.models import Membership


class OrgSeats:
    def counts(self) -> dict[str, int]:
        """Members per organization (a scan of the keys only: a nightly job, never a request path)."""
        return dict(Counter(m.org_id for m in Membership.scan(attributes_to_get=["org_id", "user_id"])))
