"""Organization API keys: ``lily_<key_id>.<secret>``, shown once, stored as sha256, revocable.

A key acts inside its organization only, with a role (never owner, never above its creator's) and a set of
scopes; routes name the scope they need in ``org_access(role, scope)`` (default-deny, see ``access``).

A key dies with its creator's rights: it expires (90 days by default, at most a year), and it is revoked
when its creator leaves or is removed from the organization, is demoted below the key's role or suspended,
and when the organization's plan no longer includes API keys (:func:`revoke_when_plan_drops_keys`, a plan
change listener wired in :mod:`lily.composition`). A revoked key stays listed with its reason.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from lily.core import clock, ids
from lily.core.db import is_live, won
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count
from lily.core.pages import PageParams, query_page
from lily.identity import audit
from lily.identity.hashing import hash_secret
from lily.identity.models import ApiKey, Membership
from lily.identity.ports import API_KEYS_FEATURE, IdentityPorts, PlanView
from lily.identity.principals import API_KEY_PREFIX, OrgAccess, OrgRole, key_expiry
from lily.identity.settings import identity_settings

if TYPE_CHECKING:
    from lily.identity.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, ApiKeyPage

SCOPE = re.compile(r"^[a-z][a-z0-9_]{0,30}:(read|write|\*)$")


def _out(k: ApiKey) -> ApiKeyOut:
    # The API models are imported by the routes that answer with them (here, create and list_keys): the plan change
    # listener and the revocations run in workers too (billing worker, reaper) and need not build identity's API.
    from lily.identity.schemas import ApiKeyOut

    return ApiKeyOut(key_id=k.key_id, name=k.name, role=OrgRole(k.role), scopes=sorted(k.scopes or ()),
                     created_by=k.created_by, created_at=clock.iso(k.created_at),
                     last_used_at=clock.iso(k.last_used_at) if k.last_used_at else None,
                     expires_at=clock.iso(key_expiry(k)),
                     revoked_at=clock.iso(k.revoked_at) if k.revoked_at else None, revoked_reason=k.revoked_reason)


def create(ports: IdentityPorts, access: OrgAccess, body: ApiKeyIn) -> ApiKeyCreated:
    if access.principal.kind != "user":
        raise LilyError(ErrorCode.AUTH_003, "API keys cannot create API keys")
    ports.api_keys.require(access.org_id)
    for scope in body.scopes:
        if not SCOPE.match(scope):
            raise LilyError(ErrorCode.VALIDATION_001, "Invalid scope", {"scope": scope})
    if body.role == OrgRole.owner or body.role > access.role:
        raise LilyError(ErrorCode.AUTH_003, "A key cannot have more than your role (and never owner)")
    s = identity_settings()
    days = body.expires_in_days or s.api_key_default_days
    if days > s.api_key_max_days:
        raise LilyError(ErrorCode.VALIDATION_001, "API keys live at most a year",
                        {"expires_in_days": days, "max": s.api_key_max_days})
    key_id = ids.new_id("key")
    secret = ids.token(32).replace(".", "")
    now = clock.now()
    item = ApiKey(key_id, org_id=access.org_id, name=body.name, secret_hash=hash_secret(secret), role=body.role.value,
                  scopes=set(body.scopes) or None, created_by=access.principal.user_id or "", created_at=now,
                  expires_at=now + timedelta(days=days), purge_at=now + timedelta(days=days + s.api_key_purge_days))
    item.save(condition=ApiKey.key_id.does_not_exist())
    audit.record("org.api_key_create", "success", actor_id=access.principal.user_id, org_id=access.org_id,
                 target=key_id, details={"scopes": sorted(body.scopes), "role": body.role.value, "days": days})
    from lily.identity.schemas import ApiKeyCreated

    return ApiKeyCreated(**_out(item).model_dump(), key=f"{API_KEY_PREFIX}{key_id}.{secret}")


def list_keys(access: OrgAccess, page: PageParams) -> ApiKeyPage:
    from lily.identity.schemas import ApiKeyPage

    items, cursor = query_page(lambda start, n: ApiKey.by_org.query(access.org_id, last_evaluated_key=start, limit=n),
                               {"org_id": access.org_id}, page, _out, keep=_listed)
    return ApiKeyPage(items=items, next_cursor=cursor)


def _listed(key: ApiKey) -> bool:
    """A key past its purge time is gone (its TTL deletes it late; until then it is treated as absent)."""
    return is_live(key, "purge_at")


def may_invite(key_id: str, org_id: str) -> bool:
    """Is the key unrevoked, unexpired and of ``org_id``, with a role that may invite (admin)?"""
    try:
        key = ApiKey.get(key_id)
    except ApiKey.DoesNotExist:
        return False
    return (key.org_id == org_id and key.revoked_at is None and clock.now() < key_expiry(key)
            and OrgRole(key.role) >= OrgRole.admin)


def _revoke(item: ApiKey, reason: str, actor_id: str | None) -> bool:
    """Revoke one key (once: a racing revocation keeps the first reason)."""
    now = clock.now()
    purge_at = now + timedelta(days=identity_settings().api_key_purge_days)
    if item.purge_at is not None and item.purge_at < purge_at:
        purge_at = item.purge_at  # an expired key's purge is not put off by revoking it
    if not won(lambda: item.update(actions=[ApiKey.revoked_at.set(now), ApiKey.revoked_reason.set(reason),
                                            ApiKey.purge_at.set(purge_at)],
                                   condition=ApiKey.revoked_at.does_not_exist())):
        return False
    count("api_keys_revoked_total", reason=reason)
    audit.record("org.api_key_revoke", "success", actor_id=actor_id, org_id=item.org_id, target=item.key_id,
                 details={"reason": reason})
    return True


def revoke(access: OrgAccess, key_id: str) -> ApiKeyOut:
    try:
        item = ApiKey.get(key_id)
    except ApiKey.DoesNotExist:
        item = None
    if item is None or item.org_id != access.org_id or not _listed(item):
        raise LilyError(ErrorCode.VALIDATION_004, "API key not found")
    if item.revoked_at is None:
        _revoke(item, "revoked", access.principal.subject)
    return _out(item)


def revoke_created_by(org_id: str, user_id: str, reason: str, keep_up_to: OrgRole | None = None) -> int:
    """Revoke the live keys ``user_id`` created in ``org_id``; with ``keep_up_to``, only those whose role is
    above it (the creator was demoted to that role). Returns how many were revoked."""
    revoked = 0
    for key in ApiKey.by_org.query(org_id):
        if key.created_by != user_id or key.revoked_at is not None:
            continue
        if keep_up_to is not None and OrgRole(key.role) <= keep_up_to:
            continue
        revoked += _revoke(key, reason, None)
    return revoked


def revoke_created_by_everywhere(user_id: str, reason: str) -> int:
    """Revoke every live key ``user_id`` created, in each organization they belong to (suspension)."""
    return sum(revoke_created_by(m.org_id, user_id, reason) for m in Membership.by_user.query(user_id))


def revoke_when_plan_drops_keys(org_id: str, old_plan: PlanView, new_plan: PlanView) -> None:
    """Plan change listener: a plan without API keys revokes every live key of the organization (not deleted)."""
    if new_plan.has(API_KEYS_FEATURE):
        return
    for key in ApiKey.by_org.query(org_id):
        if key.revoked_at is None:
            _revoke(key, f"plan:{new_plan.plan_id}", None)
