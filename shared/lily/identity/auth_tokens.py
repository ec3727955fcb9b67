"""Single-use secrets sent by email or handed to a client (email verification, password reset, MFA
challenge, invitation, refresh): only their hash is stored, with a kind, an expiry and a use mark."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lily.core import clock, ids
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError
from lily.identity.hashing import hash_secret
from lily.identity.models import AuthToken


def issue_token(kind: str, ttl_s: int, user_id: str | None = None, data: dict[str, Any] | None = None,
                family_id: str | None = None) -> str:
    secret = ids.token()
    now = clock.now()
    AuthToken(hash_secret(secret), kind=kind, user_id=user_id, data=data or {}, family_id=family_id,
              created_at=now, expires_at=now + timedelta(seconds=ttl_s)).save()
    return secret


def invalid_token() -> LilyError:
    return LilyError(ErrorCode.VALIDATION_001, "Invalid or expired token")


def peek_token(kind: str, secret: str) -> AuthToken:
    try:
        item = AuthToken.get(hash_secret(secret or ""))
    except AuthToken.DoesNotExist:
        raise invalid_token() from None
    if item.kind != kind or item.used_at is not None or item.expires_at.timestamp() <= clock.now_ts():
        raise invalid_token()
    return item


def mark_used(item: AuthToken) -> bool:
    """Use a token exactly once: False when a racing request used it first."""
    return won(lambda: item.update(actions=[AuthToken.used_at.set(clock.now())],
                                   condition=AuthToken.used_at.does_not_exist()))


def consume_token(kind: str, secret: str) -> AuthToken:
    """Use a single-use token exactly once (a conditional write decides between racing requests)."""
    item = peek_token(kind, secret)
    if not mark_used(item):
        raise invalid_token()
    return item
