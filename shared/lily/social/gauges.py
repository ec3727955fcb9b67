"""The real count behind the ``social_profiles`` gauge, for billing's nightly reconciliation
(:class:`lily.billing.ports.GaugeCount`): every stored connection holds one profile, whatever its status (a
paused or needs_reauth connection still takes its place; disconnecting gives it back)."""

from __future__ import annotations

from collections import Counter

from lily.social.models import SocialConnection


class ConnectedProfiles:
    def counts(self) -> dict[str, int]:
        """Connections per organization (a scan of the keys only: a nightly job, never a request path)."""
        found = Counter(c.org_id for c in SocialConnection.scan(attributes_to_get=["org_id", "connection_id"]))
        return dict(found)
