"""Access JWTs: one algorithm (ES256), keys with a kid from Secrets Manager, every claim verified.

Signing is asymmetric so that only the auth function can mint tokens:

- ``jwt-signing-keys`` (readable by the auth function alone): ``{"kid": "k2", "private_key": "<PEM, EC P-256>"}``;
- ``jwt-keys`` (readable by every function that checks tokens): the public keys as a JWK set,
  ``{"keys": [{"kty": "EC", "crv": "P-256", "x": ..., "y": ..., "kid": "k2", "alg": "ES256", "use": "sig"}]}``.

Rotation with overlap: (1) add the new public key to ``jwt-keys``; (2) after ``jwt_key_cache_s`` put the new private
key in ``jwt-signing-keys``; (3) remove the old public key after the longest access lifetime (30 minutes) more.
Nobody is logged out. :func:`new_signing_key` makes a pair. Keys are cached in-process for ``jwt_key_cache_s``
and the public set is refetched early (at most every ``jwt_key_refetch_s``) when a token names an unknown kid.

The JWS compact form is read and written here on ``cryptography``'s ECDSA (RFC 7515/7518, ES256 only) rather
than with PyJWT: PyJWT's import loads cryptography's x509, RSA, EdDSA and SSH code, about 30 ms (0.09x of
``import boto3, fastapi``) in the cold start of every signed-in HTTP function, for the one algorithm used here.
Nothing is negotiated: the header must say ES256 and at+jwt, the key comes from the kid, the signature is checked
before the payload is read, and a refusal names its cause in PyJWT's words (``InvalidSignatureError``, ...).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from lily.core import clock, ids
from lily.core.config import on_reset
from lily.core.errors import ErrorCode, LilyError
from lily.core.resources import read_secret
from lily.identity.settings import identity_settings

ALGORITHM = "ES256"
TYP = "at+jwt"
REQUIRED = ["exp", "nbf", "iat", "jti", "iss", "aud", "sub"]
VERIFY_SECRET = "jwt-keys"
SIGNING_SECRET = "jwt-signing-keys"


@dataclass(frozen=True)
class _Fetched:
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


_B64URL = re.compile(r"[A-Za-z0-9_-]*")
COORDINATE = 32  # bytes of a P-256 coordinate, and of each half (r, s) of an ES256 signature


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(part: str) -> bytes:
    """Strict base64url without padding (RFC 7515 section 2); ValueError otherwise."""
    if not _B64URL.fullmatch(part) or len(part) % 4 == 1:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except binascii.Error:
        raise ValueError("not base64url") from None


def _json_object(part: str) -> dict[str, Any]:
    value = json.loads(_unb64url(part))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _public_key(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    x, y = _unb64url(jwk["x"]), _unb64url(jwk["y"])
    if len(x) != COORDINATE or len(y) != COORDINATE:
        raise ValueError("not a P-256 point")
    numbers = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1())
    return numbers.public_key()  # ValueError for a point off the curve


def _public_keys(raw: dict[str, Any]) -> dict[str, ec.EllipticCurvePublicKey]:
    """The ES256 keys of a JWK set by kid; keys of another type or algorithm are left out, as PyJWKSet does."""
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    try:
        for jwk in raw["keys"]:
            kid = jwk.get("kid")
            if (jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or jwk.get("alg", ALGORITHM) != ALGORITHM
                    or jwk.get("use", "sig") != "sig" or not isinstance(kid, str) or not kid):
                continue
            keys[kid] = _public_key(jwk)
    except (TypeError, ValueError, KeyError, AttributeError):
        raise _invalid() from None
    if not keys:
        raise _invalid()
    return keys


def _signing_key(raw: dict[str, Any]) -> tuple[str, ec.EllipticCurvePrivateKey]:
    # Imported here: only the auth function signs, and PEM loading is not on any other function's path.
    from cryptography.hazmat.primitives import serialization

    kid = str(raw.get("kid") or "")
    try:
        key = serialization.load_pem_private_key(str(raw.get("private_key") or "").encode(), password=None)
    except (TypeError, ValueError):
        raise _invalid() from None
    if not kid or not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise _invalid()
    return kid, key


_PARSE = {VERIFY_SECRET: _public_keys, SIGNING_SECRET: _signing_key}


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
    if stale:
        current = _fetch(name)
        with _lock:
            _cache[name] = current
    assert current is not None
    return current.value


def new_signing_key(kid: str) -> tuple[dict[str, str], dict[str, str]]:
    """A fresh P-256 pair: (the ``jwt-signing-keys`` value, its public JWK for the ``jwt-keys`` set)."""
    from cryptography.hazmat.primitives import serialization  # key generation: operators and local mode only

    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    point = private.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "x": _b64url(point.x.to_bytes(COORDINATE, "big")),
           "y": _b64url(point.y.to_bytes(COORDINATE, "big")), "kid": kid, "alg": ALGORITHM, "use": "sig"}
    return {"kid": kid, "private_key": pem}, jwk


def _sign(claims: dict[str, Any], kid: str, key: ec.EllipticCurvePrivateKey) -> str:
    header = {"alg": ALGORITHM, "kid": kid, "typ": TYP}
    signing_input = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{_b64url(r.to_bytes(COORDINATE, 'big') + s.to_bytes(COORDINATE, 'big'))}"


def _verified_payload(token: str, key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """The payload of a compact ES256 JWS whose signature ``key`` made; LilyError (AUTH_002) otherwise."""
    signing_input, _, signature_part = token.rpartition(".")
    try:
        signature = _unb64url(signature_part)
    except ValueError:
        raise _bad("DecodeError") from None
    if len(signature) != 2 * COORDINATE:
        raise _bad("InvalidSignatureError")
    r, s = int.from_bytes(signature[:COORDINATE], "big"), int.from_bytes(signature[COORDINATE:], "big")
    try:
        key.verify(encode_dss_signature(r, s), signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise _bad("InvalidSignatureError") from None
    try:
        return _json_object(signing_input.partition(".")[2])
    except ValueError:
        raise _bad("DecodeError") from None


def _check_registered(claims: dict[str, Any], audience: str, issuer: str) -> None:
    """The checks PyJWT's decode made with ``require``, ``audience`` and ``issuer`` (time claims: decode_access)."""
    for claim in REQUIRED:
        if claims.get(claim) is None:
            raise _bad("MissingRequiredClaimError")
    if claims["iss"] != issuer:
        raise _bad("InvalidIssuerError")
    aud = claims["aud"]
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences) or audience not in audiences:
        raise _bad("InvalidAudienceError")
    if not isinstance(claims["sub"], str):
        raise _bad("InvalidSubjectError")
    if not isinstance(claims["jti"], str):
        raise _bad("InvalidJTIError")


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
    return _sign(claims, kid, private_key), claims


def _bad(reason: str) -> LilyError:
    return LilyError(ErrorCode.AUTH_002, "Invalid or expired credentials", {"reason": reason})


def decode_access(token: str) -> dict[str, Any]:
    """Verify an access token completely or raise AUTH_002."""
    s = identity_settings()
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError("not a compact JWS")
        header = _json_object(parts[0])
    except ValueError:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _bad("malformed") from None
    if "kid" in header and not isinstance(header["kid"], str):
        raise _bad("malformed")
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
    claims = _verified_payload(token, public_key)
    # Time claims are checked below against lily.core.clock (one clock for the whole platform).
    _check_registered(claims, s.jwt_audience, s.jwt_issuer)
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
    return claims


def hash_secret(value: str) -> str:
    """sha256 of a high-entropy secret (refresh tokens, one-time tokens, API keys, backup codes)."""
    return hashlib.sha256(value.encode()).hexdigest()
