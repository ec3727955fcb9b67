"""Revocations: a token id, a refresh family or every token of a user issued before an instant."""

from __future__ import annotations

from datetime import UTC, datetime

from lily.core import clock
from lily.identity.models import Revocation
from lily.identity.settings import identity_settings


def revoke(key: str, ttl_s: int, reason: str, not_before: float | None = None) -> None:
    Revocation(key, reason=reason, not_before=not_before,
               expires_at=datetime.fromtimestamp(clock.now_ts() + ttl_s, tz=UTC)).save()


def revoke_all_sessions(user_id: str, reason: str) -> None:
    """Every token issued before now dies (refresh families included)."""
    s = identity_settings()
    revoke(f"user#{user_id}", s.refresh_ttl_s + 60, reason, not_before=clock.now_ts())


def user_not_before(user_id: str) -> float:
    """Tokens of ``user_id`` issued before this instant (epoch seconds) are revoked."""
    try:
        item = Revocation.get(f"user#{user_id}")
    except Revocation.DoesNotExist:
        return 0.0
    if item.expires_at.timestamp() <= clock.now_ts():
        return 0.0
    return float(item.not_before or 0)


def family_revoked(family_id: str) -> bool:
    try:
        item = Revocation.get(f"family#{family_id}")
    except Revocation.DoesNotExist:
        return False
    return item.expires_at.timestamp() > clock.now_ts()
