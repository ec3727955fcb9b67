"""The organization's IANA time zone, read without the organizations module (no web framework, no tokens): what
workers and schedules use (autopilot's ``Zones`` port). ``identity.orgs.OrgTimeZones`` is the same read for
HTTP functions that load that module anyway."""

from __future__ import annotations

from lily.identity.models import Org


class StoredTimeZones:
    def zone(self, org_id: str) -> str:
        try:
            return Org.get(org_id).timezone or "UTC"
        except Org.DoesNotExist:
            return "UTC"
