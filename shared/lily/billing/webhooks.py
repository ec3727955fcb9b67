"""Stripe webhook signatures, exactly as Stripe signs them.

``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`` (other schemes such as ``v0`` ignored); the
signed payload is ``f"{t}.{raw body}"``; the signature is the hex HMAC-SHA256 keyed with the
endpoint secret (``whsec_...`` used as-is). Valid when any ``v1`` matches (constant-time) and the
timestamp is not older than the tolerance (300 s). Lily's clock is used, so tests can move time.
"""

from __future__ import annotations

import hashlib
import hmac

from lily.core import clock

DEFAULT_TOLERANCE_S = 300


class SignatureError(ValueError):
    """The signature header is missing, malformed, wrong or stale (``reason`` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def compute_signature(payload: bytes, secret: str, timestamp: int) -> str:
    signed = str(int(timestamp)).encode() + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` (the sandbox and tests use it)."""
    t = int(clock.now_ts()) if timestamp is None else int(timestamp)
    return f"t={t},v1={compute_signature(payload, secret, t)}"


def verify(payload: bytes, header: str | None, secret: str, tolerance_s: int = DEFAULT_TOLERANCE_S) -> int:
    """Check ``header`` against the raw ``payload``; returns the signed timestamp or raises SignatureError."""
    if not header:
        raise SignatureError("missing")
    if not secret:
        raise SignatureError("no_secret")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("malformed") from None
        elif key == "v1":
            candidates.append(value)
    if timestamp is None:
        raise SignatureError("malformed")
    if not candidates:
        raise SignatureError("no_v1_signature")
    expected = compute_signature(payload, secret, timestamp)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("mismatch")
    if timestamp < clock.now_ts() - tolerance_s:
        raise SignatureError("stale")
    return timestamp
