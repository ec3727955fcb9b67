"""Organization API keys: ``lily_<key_id>.<secret>``, shown once, stored as sha256, revocable.

A key acts inside its organization only, with a role (never owner, never above its creator's)
and a set of scopes; routes name the scope they need in ``org_access(role, scope=...)``.
"""

from __future__ import annotations

import re

from lily import composition
from lily.core import clock, ids
from lily.core.errors import ErrorCode, LilyError
from lily.identity import audit
from lily.identity.access import API_KEY_PREFIX, OrgAccess, OrgRole
from lily.identity.models import ApiKey
from lily.identity.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut
from lily.identity.tokens import hash_secret

SCOPE = re.compile(r"^[a-z][a-z0-9_]{0,30}:(read|write|\*)$")


def _out(k: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(key_id=k.key_id, name=k.name, role=OrgRole(k.role), scopes=sorted(k.scopes or ()),
                     created_by=k.created_by, created_at=clock.iso(k.created_at),
                     last_used_at=clock.iso(k.last_used_at) if k.last_used_at else None,
                     revoked_at=clock.iso(k.revoked_at) if k.revoked_at else None)


def create(access: OrgAccess, body: ApiKeyIn) -> ApiKeyCreated:
    if access.principal.kind != "user":
        raise LilyError(ErrorCode.AUTH_003, "API keys cannot create API keys")
    composition.api_key_gate().require(access.org_id)
    for scope in body.scopes:
        if not SCOPE.match(scope):
            raise LilyError(ErrorCode.VALIDATION_001, "Invalid scope", {"scope": scope})
    if body.role == OrgRole.owner or body.role > access.role:
        raise LilyError(ErrorCode.AUTH_003, "A key cannot have more than your role (and never owner)")
    key_id = ids.new_id("key")
    secret = ids.token(32).replace(".", "")
    item = ApiKey(key_id, org_id=access.org_id, name=body.name, secret_hash=hash_secret(secret), role=body.role.value,
                  scopes=set(body.scopes) or None, created_by=access.principal.user_id or "", created_at=clock.now())
    item.save(condition=ApiKey.key_id.does_not_exist())
    audit.record("org.api_key_create", "success", actor_id=access.principal.user_id, org_id=access.org_id,
                 target=key_id, details={"scopes": sorted(body.scopes), "role": body.role.value})
    return ApiKeyCreated(**_out(item).model_dump(), key=f"{API_KEY_PREFIX}{key_id}.{secret}")


def list_keys(access: OrgAccess) -> list[ApiKeyOut]:
    return [_out(k) for k in ApiKey.by_org.query(access.org_id)]


def revoke(access: OrgAccess, key_id: str) -> ApiKeyOut:
    try:
        item = ApiKey.get(key_id)
    except ApiKey.DoesNotExist:
        item = None
    if item is None or item.org_id != access.org_id:
        raise LilyError(ErrorCode.VALIDATION_004, "API key not found")
    if item.revoked_at is None:
        item.update(actions=[ApiKey.revoked_at.set(clock.now())])
    audit.record("org.api_key_revoke", "success", actor_id=access.principal.subject, org_id=access.org_id,
                 target=key_id)
    return _out(item)
