"""Per-account (and per-app) pacing to each platform's limits, shared by every Lambda instance.

Each rule "at most ``limit`` posts per ``window_s``, ``burst`` back to back" is a GCRA (generic cell
rate algorithm) with emission interval ``T = window / (limit - burst)`` and tolerance
``(burst - 1) * T``: any sliding window of ``window_s`` then holds at most ``limit`` posts, so Lily
never trips the platform's own limit. The state is one item per rule and account (theoretical arrival
time), changed by optimistic conditional writes. When a platform still answers 429 (another app on the
same account, a limit we do not know), :func:`block` records its reset time and the account waits.
"""

from __future__ import annotations

from lily.core import clock
from lily.core.db import condition_failed
from lily.core.observability import count
from lily.publishing.models import PacingState
from lily.publishing.settings import PacingRule

_MAX_TRIES = 20


def _key(platform: str, rule: PacingRule, index: int, connection_id: str) -> str:
    who = connection_id if rule.scope == "account" else "app"
    return f"{platform}#{rule.scope}{index}#{who}"


def _block_key(platform: str, connection_id: str) -> str:
    return f"{platform}#blocked#{connection_id}"


def _get(key: str) -> PacingState | None:
    try:
        return PacingState.get(key, consistent_read=True)
    except PacingState.DoesNotExist:
        return None


def _cas(key: str, item: PacingState | None, **values: float) -> bool:
    seq = int(item.seq) if item else 0
    new = PacingState(key, seq=seq + 1, tat=values.get("tat", item.tat if item else 0),
                      blocked_until=values.get("blocked_until", item.blocked_until if item else 0))
    cond = PacingState.key.does_not_exist() if item is None else (PacingState.seq == seq)
    try:
        new.save(condition=cond)
        return True
    except Exception as exc:
        if condition_failed(exc):
            return False
        raise


def _take(key: str, rule: PacingRule) -> float | None:
    """Take one slot of ``rule``; None when granted, else the instant a slot frees up."""
    burst = min(rule.burst, max(1, rule.limit - 1))
    interval = rule.window_s / (rule.limit - burst) if rule.limit > burst else rule.window_s * 1.001
    tolerance = (burst - 1) * interval
    for _ in range(_MAX_TRIES):
        now = clock.now_ts()
        item = _get(key)
        tat = float(item.tat) if item else 0.0
        if now < tat - tolerance:
            return tat - tolerance
        if _cas(key, item, tat=max(now, tat) + interval):
            return None
    return clock.now_ts() + interval  # heavy contention: come back shortly


def acquire(platform: str, connection_id: str, rules: list[PacingRule]) -> float | None:
    """Reserve one post for ``connection_id`` on ``platform``; None when it may go now, else retry-at."""
    blocked = _get(_block_key(platform, connection_id))
    if blocked is not None and blocked.blocked_until > clock.now_ts():
        count("publish_paced_total", platform=platform, reason="platform_reset")
        return float(blocked.blocked_until)
    for index, rule in enumerate(rules):
        retry_at = _take(_key(platform, rule, index, connection_id), rule)
        if retry_at is not None:
            count("publish_paced_total", platform=platform, reason=rule.scope)
            return retry_at
    return None


def block(platform: str, connection_id: str, until: float) -> None:
    """The platform said this account may not post before ``until`` (epoch seconds)."""
    key = _block_key(platform, connection_id)
    for _ in range(_MAX_TRIES):
        item = _get(key)
        if item is not None and item.blocked_until >= until:
            return
        if _cas(key, item, blocked_until=until):
            return
