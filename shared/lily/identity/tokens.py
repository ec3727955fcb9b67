"""Access JWTs: one algorithm (ES256), keys with a kid from Secrets Manager, every claim verified.

Signing is asymmetric so that only the auth function can mint tokens:

- ``jwt-signing-keys`` (readable by the auth function alone): ``{"kid": "k2", "private_key": "<PEM, EC P-256>"}``;
- ``jwt-keys`` (readable by every function that checks tokens): the public keys as a JWK set,
  ``{"keys": [{"kty": "EC", "crv": "P-256", "x": ..., "y": ..., "kid": "k2", "alg": "ES256", "use": "sig"}]}``.

Rotation with overlap: (1) add the new public key to ``jwt-keys``; (2) after ``jwt_key_cache_s`` put the new private
key in ``jwt-signing-keys``; (3) remove the old public key after the longest access lifetime (30 minutes) more.
Nobody is logged out. :func:`new_signing_key` makes a pair. Keys are cached in-process for ``jwt_key_cache_s``
and the public set is refetched early (at most every ``jwt_key_refetch_s``) when a token names an unknown kid.
Metrics: ``jwt_cache_hits_total{scope}`` and ``jwt_cache_misses_total{scope}`` (scope: ``verify``, ``sign``).
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from lily.core import clock, ids
from lily.core.config import on_reset
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count
from lily.core.resources import read_secret
from lily.identity.settings import identity_settings

ALGORITHM = "ES256"
TYP = "at+jwt"
REQUIRED = ["exp", "nbf", "iat", "jti", "iss", "aud", "sub"]
VERIFY_SECRET = "jwt-keys"
SIGNING_SECRET = "jwt-signing-keys"


class _Fetched(NamedTuple):
    value: Any
    fetched_at: float


_lock = threading.Lock()
_cache: dict[str, _Fetched] = {}


def _clear() -> None:
    with _lock:
        _cache.clear()


on_reset(_clear)


def _invalid() -> LilyError:
    return LilyError(ErrorCode.SYSTEM_003, "JWT key configuration invalid")


def _public_keys(raw: dict[str, Any]) -> dict[str, ec.EllipticCurvePublicKey]:
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    try:
        for jwk in jwt.PyJWKSet.from_dict(raw).keys:
            if jwk.key_id and jwk.algorithm_name == ALGORITHM and isinstance(jwk.key, ec.EllipticCurvePublicKey):
                keys[str(jwk.key_id)] = jwk.key
    except (jwt.PyJWTError, TypeError, ValueError, KeyError):
        raise _invalid() from None
    if not keys:
        raise _invalid()
    return keys


def _signing_key(raw: dict[str, Any]) -> tuple[str, ec.EllipticCurvePrivateKey]:
    kid = str(raw.get("kid") or "")
    try:
        key = serialization.load_pem_private_key(str(raw.get("private_key") or "").encode(), password=None)
    except (TypeError, ValueError):
        raise _invalid() from None
    if not kid or not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise _invalid()
    return kid, key


_PARSE = {VERIFY_SECRET: _public_keys, SIGNING_SECRET: _signing_key}
# The label of ``jwt_cache_hits_total`` / ``jwt_cache_misses_total``: which key set a lookup wanted.
_SCOPES = {VERIFY_SECRET: "verify", SIGNING_SECRET: "sign"}


def _fetch(name: str) -> _Fetched:
    return _Fetched(_PARSE[name](read_secret(name)), clock.now_ts())


def _keys(name: str = VERIFY_SECRET, unknown_kid: str | None = None) -> Any:
    """The parsed secret ``name``, cached; an ``unknown_kid`` refetches the public set early (bounded)."""
    s = identity_settings()
    now = clock.now_ts()
    with _lock:
        current = _cache.get(name)
    stale = current is None or now - current.fetched_at >= s.jwt_key_cache_s
    if unknown_kid and current is not None and unknown_kid not in current.value:
        stale = stale or now - current.fetched_at >= s.jwt_key_refetch_s
    scope = _SCOPES[name]
    if stale:
        count("jwt_cache_misses_total", scope=scope)
        current = _fetch(name)
        with _lock:
            _cache[name] = current
    else:
        count("jwt_cache_hits_total", scope=scope)
    assert current is not None
    return current.value


def new_signing_key(kid: str) -> tuple[dict[str, str], dict[str, str]]:
    """A fresh P-256 pair: (the ``jwt-signing-keys`` value, its public JWK for the ``jwt-keys`` set)."""
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    jwk = {**jwt.algorithms.ECAlgorithm.to_jwk(private.public_key(), as_dict=True),
           "kid": kid, "alg": ALGORITHM, "use": "sig"}
    return {"kid": kid, "private_key": pem}, jwk


def issue_access(sub: str, ttl_s: int, extra: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    s = identity_settings()
    kid, private_key = _keys(SIGNING_SECRET)
    precise = clock.now_ts()
    now = int(precise)
    claims = {
        **(extra or {}),
        "iat_ms": int(precise * 1000),  # issue time to the millisecond, for "revoke everything before now"
        "iss": s.jwt_issuer, "aud": s.jwt_audience, "sub": sub,
        "iat": now, "nbf": now, "exp": now + ttl_s, "jti": ids.token(16),
    }
    token = jwt.encode(claims, private_key, algorithm=ALGORITHM, headers={"kid": kid, "typ": TYP})
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
    public_key = _keys().get(kid) or _keys(unknown_kid=kid).get(kid)
    if public_key is None:
        raise _bad("kid")
    try:
        claims = jwt.decode(
            token, public_key, algorithms=[ALGORITHM], audience=s.jwt_audience, issuer=s.jwt_issuer,
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
