"""Who is calling, as data: roles, the principal and its access to an organization (no web framework).

:mod:`lily.identity.access` decides access for HTTP routes with these; code that runs outside HTTP (the billing
worker revoking API keys) uses them without loading FastAPI.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict

from lily.core.schema import Schema
from lily.identity.models import ApiKey
from lily.identity.settings import identity_settings

API_KEY_PREFIX = "lily_"


class _Ranked(StrEnum):
    """A StrEnum ordered by declaration (not alphabetically)."""

    @property
    def rank(self) -> int:
        return list(type(self)).index(self)

    def _cmp(self, other: Any) -> int | None:
        if isinstance(other, type(self)):
            return self.rank - other.rank
        if isinstance(other, str) and other in type(self)._value2member_map_:
            return self.rank - type(self)(other).rank
        return None

    def __lt__(self, other: Any) -> bool:
        d = self._cmp(other)
        return NotImplemented if d is None else d < 0

    def __le__(self, other: Any) -> bool:
        d = self._cmp(other)
        return NotImplemented if d is None else d <= 0

    def __gt__(self, other: Any) -> bool:
        d = self._cmp(other)
        return NotImplemented if d is None else d > 0

    def __ge__(self, other: Any) -> bool:
        d = self._cmp(other)
        return NotImplemented if d is None else d >= 0

    __hash__ = StrEnum.__hash__


class OrgRole(_Ranked):
    viewer = "viewer"
    editor = "editor"
    admin = "admin"
    owner = "owner"


class PlatformRole(_Ranked):
    moderator = "moderator"
    admin = "admin"
    super_admin = "super_admin"


class Principal(Schema):
    model_config = ConfigDict(frozen=True)

    kind: Literal["user", "api_key"]
    user_id: str | None = None
    email: str | None = None
    platform_role: PlatformRole | None = None
    api_key_id: str | None = None
    api_key_org_id: str | None = None
    api_key_role: OrgRole | None = None
    scopes: frozenset[str] = frozenset()
    token_id: str | None = None
    family_id: str | None = None

    @property
    def subject(self) -> str:
        return self.user_id or self.api_key_id or "?"


class OrgAccess(Schema):
    principal: Principal
    org_id: str
    role: OrgRole


def key_expiry(key: ApiKey) -> datetime:
    """When a key stops working (keys made before keys expired count the default lifetime from creation)."""
    return key.expires_at or key.created_at + timedelta(days=identity_settings().api_key_default_days)
