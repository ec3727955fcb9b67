"""The identity API's request and response models: accounts and sessions, organizations and members,
API keys, audit entries."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from lily.identity.access import OrgRole, PlatformRole

# --- accounts and sessions ---------------------------------------------------------------------------------


class PublicUser(BaseModel):
    user_id: str
    email: str
    email_verified: bool
    platform_role: PlatformRole | None = None
    totp_enabled: bool = False
    status: str = "active"
    created_at: str
    orgs: list[dict[str, str]] = []


class Session(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    csrf_token: str
    user: PublicUser


class MfaChallenge(BaseModel):
    mfa_required: bool = True
    challenge: str
    expires_in: int


# --- organizations -----------------------------------------------------------------------------------------


class OrgOut(BaseModel):
    org_id: str
    name: str
    owner_id: str
    created_at: str
    role: OrgRole | None = None


class MemberOut(BaseModel):
    user_id: str
    email: str | None = None
    role: OrgRole
    joined_at: str


class InviteOut(BaseModel):
    org_id: str
    email: str
    role: OrgRole
    expires_at: str


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
    created_at: str
    last_used_at: str | None = None
    expires_at: str | None = None
    revoked_at: str | None = None
    revoked_reason: str | None = None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself; shown only now")


# --- audit -------------------------------------------------------------------------------------------------


class AuditEntry(BaseModel):
    id: str
    at: str
    action: str
    outcome: str
    actor_id: str | None = None
    org_id: str | None = None
    target: str | None = None
    ip: str | None = None
    details: dict[str, Any] = {}
