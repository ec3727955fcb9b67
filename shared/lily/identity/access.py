"""Who is calling and what they may do: the one place access control is decided.

Other capabilities protect their routes with these dependencies::

    @app.post("/api/orgs/{org_id}/billing/checkout")
    def checkout(org_id: str, access: OrgAccess = Depends(org_access(OrgRole.admin, "billing:write"))): ...

    @router.get("/api/orgs/{org_id}/posts")
    def posts(org_id: str, access: OrgAccess = Depends(org_access(OrgRole.viewer, scope="posts:read"))): ...

API keys are default-deny: every route names the scope a key needs (``org_access(role, scope)`` has no
default; ``scoped_principal(scope)`` for routes outside an organization), or ``SESSIONS_ONLY`` when no key may
call it (``current_user`` and ``platform_access`` are sessions-only too). A key holding neither that scope nor
``<resource>:*`` gets 403 AUTH_003.

``org_access`` answers 401 without credentials, 404 when the caller is not a member of the
organization (its existence is not revealed), 403 AUTH_003 when the role is too low or an API key
lacks the scope. Every dependency here carries ``scope`` (and ``min_role`` / ``min_platform_role``) so the
tenant isolation test can read every route's requirement from the route table.
"""

from __future__ import annotations

import hmac
import re
from datetime import timedelta

from fastapi import Depends, Request
from pynamodb.exceptions import PynamoDBException

from lily.core import clock
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import logger
from lily.core.openapi import declares
from lily.identity import ratelimit
from lily.identity.hashing import hash_secret
from lily.identity.models import ApiKey, Membership, Revocation
from lily.identity.principals import API_KEY_PREFIX, OrgAccess, OrgRole, PlatformRole, Principal, key_expiry
from lily.identity.settings import identity_settings
from lily.identity.tokens import decode_access

SESSIONS_ONLY = "sessions-only"
"""The scope of a route no API key may call: key scopes look like ``name:read``, so no key can hold it."""
ORG_ID = re.compile(r"^org_[0-9a-z]{26}$")


def _unauthenticated() -> LilyError:
    return LilyError(ErrorCode.AUTH_001, "Authentication required", headers={"WWW-Authenticate": "Bearer"})


def _revoked() -> LilyError:
    return LilyError(ErrorCode.AUTH_002, "Invalid or expired credentials", {"reason": "revoked"},
                     headers={"WWW-Authenticate": "Bearer"})


def is_revoked(jti: str, family_id: str | None, user_id: str, issued_at: float) -> bool:
    """One BatchGetItem: the token itself, its refresh family and the user's 'not before' mark."""
    keys = [f"jti#{jti}", f"user#{user_id}"] + ([f"family#{family_id}"] if family_id else [])
    now = clock.now_ts()
    for item in Revocation.batch_get(keys):
        if item.expires_at is not None and item.expires_at.timestamp() <= now:
            continue
        if item.key.startswith("user#"):
            if item.not_before is not None and issued_at < float(item.not_before):
                return True
        else:
            return True
    return False


def _from_jwt(token: str) -> Principal:
    claims = decode_access(token)
    issued = claims["iat_ms"] / 1000 if isinstance(claims.get("iat_ms"), int) else float(claims["iat"])
    if is_revoked(claims["jti"], claims.get("fam"), claims["sub"], issued):
        raise _revoked()
    prole = claims.get("prole")
    return Principal(kind="user", user_id=claims["sub"], email=claims.get("email"),
                     platform_role=PlatformRole(prole) if prole in PlatformRole._value2member_map_ else None,
                     token_id=claims["jti"], family_id=claims.get("fam"))


def parse_api_key(raw: str) -> tuple[str, str] | None:
    body = raw[len(API_KEY_PREFIX):]
    key_id, sep, secret = body.partition(".")
    if not sep or not key_id.startswith("key_") or len(key_id) > 64 or not secret:
        return None
    return key_id, secret


def _from_api_key(raw: str) -> Principal:
    parsed = parse_api_key(raw)
    if parsed is None:
        raise LilyError(ErrorCode.AUTH_002, "Invalid or expired credentials", {"reason": "api key"})
    key_id, secret = parsed
    try:
        key = ApiKey.get(key_id)
    except ApiKey.DoesNotExist:
        key = None
    expected = key.secret_hash if key else hash_secret("no-such-key")
    if not hmac.compare_digest(expected, hash_secret(secret)) or key is None or key.revoked_at is not None:
        raise LilyError(ErrorCode.AUTH_002, "Invalid or expired credentials", {"reason": "api key"})
    now = clock.now()
    if now >= key_expiry(key):
        raise LilyError(ErrorCode.AUTH_002, "Invalid or expired credentials", {"reason": "api key expired"})
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        try:  # last use, at most once a minute per key
            key.update(actions=[ApiKey.last_used_at.set(now)])
        except PynamoDBException:  # recording last use never fails a request
            logger.warning("could not record API key use", extra={"key_id": key.key_id})
    return Principal(kind="api_key", api_key_id=key.key_id, api_key_org_id=key.org_id,
                     api_key_role=OrgRole(key.role), scopes=frozenset(key.scopes or ()), user_id=None)


def authenticate(authorization: str | None) -> Principal:
    """Turn an Authorization header into a Principal or raise AUTH_001/AUTH_002."""
    if not authorization:
        raise _unauthenticated()
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise _unauthenticated()
    return _from_api_key(value) if value.startswith(API_KEY_PREFIX) else _from_jwt(value)


BEARER = {"bearer": {"type": "http", "scheme": "bearer",
                     "description": "A user's access token (JWT from /api/auth/login) or an organization's API key"}}


@declares(errors=(401, 429), security=BEARER)
def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated caller (user JWT or API key), per-user rate limited."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = authenticate(request.headers.get("authorization"))
    ratelimit.enforce(f"user#{principal.subject}", ratelimit.route_class(request.url.path),
                      identity_settings().rate_limit_user)
    request.state.principal = principal
    return principal


def key_grants(scopes: frozenset[str], scope: str) -> bool:
    """Does a key holding ``scopes`` have ``scope`` (``posts:read``), itself or as ``posts:*``?"""
    resource = scope.partition(":")[0]
    return scope != SESSIONS_ONLY and (scope in scopes or f"{resource}:*" in scopes)


def require_scope(principal: Principal, scope: str) -> None:
    """Default-deny for API keys: a key passes only when it holds the route's scope. Users pass."""
    if principal.kind != "api_key":
        return
    if scope == SESSIONS_ONLY:
        raise LilyError(ErrorCode.AUTH_003, "This route needs a user session, not an API key")
    if not key_grants(principal.scopes, scope):
        raise LilyError(ErrorCode.AUTH_003, "API key lacks the scope", {"scope": scope})


@declares(errors=(403,))
def current_user(principal: Principal = Depends(current_principal)) -> Principal:
    """FastAPI dependency: a signed-in user (API keys are refused)."""
    require_scope(principal, SESSIONS_ONLY)
    return principal


current_user.scope = SESSIONS_ONLY  # type: ignore[attr-defined]


def scoped_principal(scope: str):
    """A dependency for a route outside any organization that API keys holding ``scope`` may call."""

    def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        require_scope(principal, scope)
        return principal

    dependency.scope = scope  # type: ignore[attr-defined]
    dependency.__name__ = f"scoped_principal_{scope}"
    declares(errors=(403,))(dependency)
    return dependency


def membership(org_id: str, user_id: str) -> Membership | None:
    try:
        return Membership.get(org_id, user_id)
    except Membership.DoesNotExist:
        return None


def is_member(org_id: str, user_id: str) -> bool:
    return ORG_ID.match(org_id or "") is not None and membership(org_id, user_id) is not None


def member_role(org_id: str, user_id: str) -> OrgRole | None:
    m = membership(org_id, user_id) if ORG_ID.match(org_id or "") else None
    return OrgRole(m.role) if m else None


def org_member_ids(org_id: str) -> list[str]:
    """User ids of every member of an organization."""
    if not ORG_ID.match(org_id or ""):
        return []
    return [m.user_id for m in Membership.query(org_id)]


def _org_not_found(org_id: str) -> LilyError:
    return LilyError(ErrorCode.VALIDATION_004, "Organization not found", {"org_id": org_id[:40]})


def resolve_org_access(principal: Principal, org_id: str, min_role: OrgRole, scope: str) -> OrgAccess:
    """The access check itself, usable outside FastAPI (workers, tests)."""
    if not ORG_ID.match(org_id or ""):
        raise _org_not_found(org_id or "")
    if principal.kind == "api_key":
        if principal.api_key_org_id != org_id or principal.api_key_role is None:
            raise _org_not_found(org_id)
        role = principal.api_key_role
        require_scope(principal, scope)
    else:
        m = membership(org_id, principal.user_id or "")
        if m is None:
            raise _org_not_found(org_id)
        role = OrgRole(m.role)
    if role < min_role:
        raise LilyError(ErrorCode.AUTH_003, "Your role does not allow this", {"required": min_role.value})
    return OrgAccess(principal=principal, org_id=org_id, role=role)


def org_access(min_role: OrgRole, scope: str):
    """A dependency requiring membership of path parameter ``org_id`` with at least ``min_role``; an API key
    must also hold ``scope`` (``SESSIONS_ONLY``: no key may call the route)."""
    min_role = OrgRole(min_role)

    def dependency(org_id: str, principal: Principal = Depends(current_principal)) -> OrgAccess:
        return resolve_org_access(principal, org_id, min_role, scope)

    declares(errors=(403, 404))(dependency)
    dependency.min_role = min_role  # type: ignore[attr-defined]
    dependency.scope = scope  # type: ignore[attr-defined]
    dependency.__name__ = f"org_access_{min_role.value}"
    return dependency


def platform_access(min_role: PlatformRole):
    """A dependency for /api/admin/*: a user whose platform role is at least ``min_role``."""
    min_role = PlatformRole(min_role)

    def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        require_scope(principal, SESSIONS_ONLY)
        if principal.platform_role is None or principal.platform_role < min_role:
            raise LilyError(ErrorCode.AUTH_003, "Not allowed", {"required": min_role.value})
        return principal

    declares(errors=(403,))(dependency)
    dependency.min_platform_role = min_role  # type: ignore[attr-defined]
    dependency.scope = SESSIONS_ONLY  # type: ignore[attr-defined]
    dependency.__name__ = f"platform_access_{min_role.value}"
    return dependency


def public_route() -> None:
    """Marker dependency: ``dependencies=[Depends(public_route)]`` declares a route that needs no credentials
    (it authenticates some other way, e.g. a webhook signature). The tenant isolation test honours it."""


public_route.public = True  # type: ignore[attr-defined]
