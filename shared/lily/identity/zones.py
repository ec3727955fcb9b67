"""The organization's time zone for other capabilities (publishing's ``OrgZones`` port).

Its own module, on the identity table model alone: the automation schedule and the imports worker read org time
zones without loading the HTTP access layer (FastAPI, PyJWT) that :mod:`lily.identity.orgs` needs.
"""

from __future__ import annotations

from lily.core.errors import ErrorCode, LilyError
from lily.identity.models import Org


class OrgTimeZones:
    """The organization's IANA time zone (UTC when none was set): the ``zones`` port of publishing, analytics and
    autopilot."""

    def zone(self, org_id: str) -> str:
        try:
            return Org.get(org_id).timezone or "UTC"
        except Org.DoesNotExist:
            raise LilyError(ErrorCode.VALIDATION_004, "Organization not found") from None
