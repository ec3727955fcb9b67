"""Signing a delivery: HMAC-SHA256 over ``"<timestamp>.<body>"`` with the subscription's secret.

The receiver's side (the verifier in docs/webhooks.md) recomputes the same value from the raw body and the
``Lily-Timestamp`` header, compares in constant time and refuses old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac

from lily.core import ids

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"


def new_secret() -> str:
    return SECRET_PREFIX + ids.token(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256(secret, ``"<timestamp>." + body``)."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def headers(secret: str, timestamp: int, body: bytes, *, delivery_id: str, event_id: str,
            event_type: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Lily-Webhooks/1",
        "Lily-Webhook-Id": delivery_id,
        "Lily-Event-Id": event_id,
        "Lily-Event-Type": event_type,
        "Lily-Timestamp": str(timestamp),
        "Lily-Signature": f"{SIGNATURE_VERSION}={signature(secret, timestamp, body)}",
    }
