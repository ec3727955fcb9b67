"""Access JWTs: one algorithm (HS256), keys with a kid from Secrets Manager, every claim verified.

The ``jwt-keys`` secret holds ``{"active_kid": "...", "keys": {kid: secret}}``. New tokens are signed
with the active key; any key still listed verifies. Rotation: add a new kid, make it active, and
remove the old kid after the longest access lifetime (30 minutes) has passed; nobody is logged out.
Keys are cached in-process for ``jwt_key_cache_s`` and refetched early (at most every
``jwt_key_refetch_s``) when a token names an unknown kid.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

import jwt

from lily.core import clock, ids
from lily.core.config import on_reset
from lily.core.errors import ErrorCode, LilyError
from lily.core.resources import read_secret
from lily.identity.settings import identity_settings

ALGORITHM = "HS256"
TYP = "at+jwt"
REQUIRED = ["exp", "nbf", "iat", "jti", "iss", "aud", "sub"]


@dataclass
class _Keys:
    active_kid: str = ""
    keys: dict[str, str] = field(default_factory=dict)
    fetched_at: float = 0.0


_lock = threading.Lock()
_cache: dict[str, _Keys] = {}


def _clear() -> None:
    with _lock:
        _cache.clear()


on_reset(_clear)


def _fetch(short: str) -> _Keys:
    raw = read_secret(short)
    keys = {str(k): str(v) for k, v in (raw.get("keys") or {}).items()}
    active = str(raw.get("active_kid") or "")
    if active not in keys:
        raise LilyError(ErrorCode.SYSTEM_003, "JWT key configuration invalid")
    return _Keys(active, keys, clock.now_ts())


def _keys(unknown_kid: str | None = None) -> _Keys:
    s = identity_settings()
    name = "jwt-keys"
    now = clock.now_ts()
    with _lock:
        current = _cache.get(name)
    stale = current is None or now - current.fetched_at >= s.jwt_key_cache_s
    if unknown_kid and current is not None and unknown_kid not in current.keys:
        stale = stale or now - current.fetched_at >= s.jwt_key_refetch_s
    if stale:
        current = _fetch(name)
        with _lock:
            _cache[name] = current
    assert current is not None
    return current


def issue_access(sub: str, ttl_s: int, extra: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    s = identity_settings()
    keys = _keys()
    precise = clock.now_ts()
    now = int(precise)
    claims = {
        **(extra or {}),
        "iat_ms": int(precise * 1000),  # issue time to the millisecond, for "revoke everything before now"
        "iss": s.jwt_issuer, "aud": s.jwt_audience, "sub": sub,
        "iat": now, "nbf": now, "exp": now + ttl_s, "jti": ids.token(16),
    }
    token = jwt.encode(claims, keys.keys[keys.active_kid], algorithm=ALGORITHM,
                       headers={"kid": keys.active_kid, "typ": TYP})
    return token, claims


def _bad(reason: str) -> LilyError:
    return LilyError(ErrorCode.AUTH_002, "Invalid or expired credentials", {"reason": reason})


def decode_access(token: str) -> dict[str, Any]:
    """Verify an access token completely or raise AUTH_002."""
    s = identity_settings()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _bad("malformed") from None
    if header.get("alg") != ALGORITHM:
        raise _bad("algorithm")
    if header.get("typ") != TYP:
        raise _bad("typ")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _bad("kid")
    secret = _keys().keys.get(kid) or _keys(unknown_kid=kid).keys.get(kid)
    if secret is None:
        raise _bad("kid")
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=s.jwt_audience, issuer=s.jwt_issuer,
            # Time claims are checked below against lily.core.clock (one clock for the whole platform).
            options={"require": REQUIRED, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise _bad(type(exc).__name__) from None
    now = clock.now_ts()
    leeway = s.jwt_leeway_s
    try:
        exp, nbf, iat = float(claims["exp"]), float(claims["nbf"]), float(claims["iat"])
    except (TypeError, ValueError):
        raise _bad("time claims") from None
    if exp <= now - leeway:
        raise _bad("expired")
    if nbf > now + leeway or iat > now + leeway:
        raise _bad("not yet valid")
    if exp - iat > s.access_ttl_admin_s + leeway:
        raise _bad("lifetime")
    if not isinstance(claims.get("jti"), str) or not isinstance(claims.get("sub"), str):
        raise _bad("claims")
    return claims


def hash_secret(value: str) -> str:
    """sha256 of a high-entropy secret (refresh tokens, one-time tokens, API keys, backup codes)."""
    return hashlib.sha256(value.encode()).hexdigest()
