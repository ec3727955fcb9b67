"""The identity API's request and response models: accounts and sessions, organizations and members,
API keys, audit entries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from lily.identity.principals import OrgRole, PlatformRole

# The one email rule: the API states it (format and pattern) and the service applies the same pattern.
# (ASCII addresses: a dot-atom local part (RFC 5322), a dotted host name, a letters-only top-level domain).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_PATTERN = rf"^{_ATOM}(?:\.{_ATOM})*@(?:[A-Za-z0-9-]{{1,63}}\.){{1,8}}[A-Za-z]{{2,63}}$"


def _local_part_fits(value: str) -> str:
    if len(value.partition("@")[0]) > 64:  # RFC 5321; the pattern engine has no look-ahead to say it
        raise ValueError("the part before @ is longer than 64 characters")
    return value


Email = Annotated[str, Field(min_length=6, max_length=254, pattern=EMAIL_PATTERN,
                             json_schema_extra={"format": "email"}), AfterValidator(_local_part_fits)]
# Roles an invitation can give: ownership moves only by transfer.
InviteRole = Literal["viewer", "editor", "admin"]

# --- accounts and sessions ---------------------------------------------------------------------------------


class PublicUser(BaseModel):
    user_id: str
    email: str = Field(json_schema_extra={"format": "email"})
    email_verified: bool
    platform_role: PlatformRole | None = None
    totp_enabled: bool = False
    status: Literal["active", "suspended"] = "active"
    created_at: datetime
    orgs: list[dict[str, str]] = []


class Session(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    csrf_token: str
    user: PublicUser


class TotpSetupOut(BaseModel):
    secret: str = Field(description="Base32 TOTP secret; shown only now")
    provisioning_uri: str = Field(description="otpauth:// URI for an authenticator app's QR code")


class TotpEnabledOut(BaseModel):
    enabled: Literal[True] = True
    backup_codes: list[str] = Field(description="Single-use codes; shown only now")


class TotpDisabledOut(BaseModel):
    enabled: Literal[False] = False


class ResetTokenCheck(BaseModel):
    valid: Literal[True] = True


class PasswordChanged(BaseModel):
    status: Literal["password_changed"] = "password_changed"


class AdminSettingsOut(BaseModel):
    """The identity settings an operator may want to see (no secrets)."""

    registration_mode: Literal["open", "closed"]
    access_ttl_user_s: int
    access_ttl_admin_s: int
    refresh_ttl_s: int
    lockout_threshold: int
    rate_limit_ip: int
    rate_limit_user: int
    audit_retention_days: int


class MetricPoint(BaseModel):
    dimensions: dict[str, str]
    value: float


class MfaChallenge(BaseModel):
    mfa_required: bool = True
    challenge: str
    expires_in: int


# --- organizations -----------------------------------------------------------------------------------------


class OrgOut(BaseModel):
    org_id: str
    name: str
    owner_id: str
    created_at: datetime
    role: OrgRole | None = None
    timezone: str = Field("UTC", description="IANA time zone of posting slots and the calendar")


class MemberOut(BaseModel):
    user_id: str
    email: str | None = None
    role: OrgRole
    joined_at: datetime


class InviteOut(BaseModel):
    org_id: str
    email: str = Field(json_schema_extra={"format": "email"})
    role: OrgRole
    expires_at: datetime


# --- API keys ----------------------------------------------------------------------------------------------


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    scopes: list[str] = Field(default_factory=list, max_length=50)
    role: OrgRole = OrgRole.editor
    expires_in_days: int | None = Field(None, ge=1, description="Default 90; at most 365 (LILY_API_KEY_*_DAYS)")


class ApiKeyOut(BaseModel):
    key_id: str
    name: str
    role: OrgRole
    scopes: list[str]
    created_by: str
    created_at: datetime
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself; shown only now")


# --- audit -------------------------------------------------------------------------------------------------


class AuditEntry(BaseModel):
    id: str
    at: datetime
    action: str
    outcome: str
    actor_id: str | None = None
    org_id: str | None = None
    target: str | None = None
    ip: str | None = None
    details: dict[str, Any] = {}


# Pages of the list routes (lily.core.pages): at most ``limit`` items, ``next_cursor`` None on the last page.
class OrgPage(BaseModel):
    items: list[OrgOut]
    next_cursor: str | None = None


class MemberPage(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None = None


class ApiKeyPage(BaseModel):
    items: list[ApiKeyOut]
    next_cursor: str | None = None


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = None


# --- Request and answer models of functions/auth ---


class Credentials(BaseModel):
    email: Email
    password: str = Field(max_length=256)


class RegisterIn(Credentials):
    registration_key: str | None = Field(None, max_length=256)


class EmailIn(BaseModel):
    email: Email


class TokenIn(BaseModel):
    token: str = Field(min_length=1, max_length=512)


class ResetConfirmIn(TokenIn):
    new_password: str = Field(max_length=256)


class SecondFactorIn(BaseModel):
    challenge: str = Field(min_length=1, max_length=512)
    code: str | None = Field(None, max_length=16)
    backup_code: str | None = Field(None, max_length=32)


class CodeIn(BaseModel):
    code: str = Field(max_length=16)


class PasswordIn(BaseModel):
    password: str = Field(max_length=256)


class DisableIn(BaseModel):
    password: str = Field(max_length=256)
    code: str | None = Field(None, max_length=16)
    backup_code: str | None = Field(None, max_length=32)


class Accepted(BaseModel):
    status: str = "accepted"


class SessionOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    csrf_token: str
    user: PublicUser


# --- Request and answer models of functions/orgs ---


class OrgIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)


def _iana_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r}") from None
    return value


class OrgUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=120)
    timezone: Annotated[str, AfterValidator(_iana_zone)] | None = Field(
        None, max_length=64, description="IANA time zone, e.g. Europe/Berlin (posting slots and the calendar use it)")


class InviteIn(BaseModel):
    email: Email
    role: InviteRole = "viewer"


class AcceptIn(BaseModel):
    token: str = Field(min_length=1, max_length=512)


class RoleIn(BaseModel):
    role: OrgRole


class TransferIn(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)


# --- Request and answer models of functions/admin ---


class UserPatch(BaseModel):
    platform_role: PlatformRole | None = None
    status: Literal["active", "suspended"] | None = None
