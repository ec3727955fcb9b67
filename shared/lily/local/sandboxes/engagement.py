"""Engagement that grows with a post's age, the same for every sandbox: deterministic (seeded by the post's id)
and plausible (most of it in the first day, ``1 - exp(-age / 8 h)`` of a final reach between 200 and 2,000, an
engagement ratio between 2 % and 8 %), so local mode has a history to show and a test can predict it."""

from __future__ import annotations

import hashlib
import math
from datetime import datetime

from lily.core import clock

TAU_S = 8 * 3600


def counts(post_id: str, published_ts: float) -> dict[str, int]:
    """``impressions, likes, comments, shares, clicks`` of the post now (the Lily clock: tests move it)."""
    h = hashlib.sha256(post_id.encode()).digest()
    reach = 200 + int.from_bytes(h[:2], "big") % 1801
    ratio = 0.02 + (h[2] % 61) / 1000
    age = max(0.0, clock.now_ts() - published_ts)
    impressions = int(reach * (1 - math.exp(-age / TAU_S)))
    engaged = impressions * ratio
    return {"impressions": impressions, "likes": int(engaged * 0.6), "comments": int(engaged * 0.15),
            "shares": int(engaged * 0.15), "clicks": int(engaged * 0.1)}


FOLLOWERS_EPOCH_TS = 1767225600.0  # 2026-01-01T00:00:00Z


def followers(account_id: str) -> int:
    """An account's follower count now: a seeded base (100-5,000) growing 0.1-1 % a day since 2026-01-01,
    deterministic per account, on the Lily clock (tests move it)."""
    h = hashlib.sha256(f"followers:{account_id}".encode()).digest()
    base = 100 + int.from_bytes(h[:2], "big") % 4901
    daily = 0.001 + (h[2] % 91) / 10000
    days = max(0.0, (clock.now_ts() - FOLLOWERS_EPOCH_TS) / 86400)
    return int(base * (1 + daily) ** days)


def iso_ts(text: str) -> float:
    """Seconds since the epoch of an ISO 8601 instant (X's ``...Z``, Meta's ``...+0000``)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00")).timestamp()
