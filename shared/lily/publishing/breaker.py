"""A circuit breaker whose state lives in DynamoDB, so every Lambda instance shares it.

closed → (``threshold`` consecutive failures) → open for ``open_s`` → one half-open probe: its success
closes the breaker, its failure opens it again. Every change is a conditional write; exactly one caller
wins the probe. One breaker per platform and one per connection (``platform:x``, ``connection:<id>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lily.core import clock
from lily.core.db import condition_failed
from lily.core.observability import count, logger
from lily.publishing.models import BreakerState


@dataclass(frozen=True)
class Decision:
    allowed: bool
    probe: bool = False
    retry_at: float | None = None  # when rejected: when to ask again


def _get(key: str) -> BreakerState | None:
    try:
        return BreakerState.get(key, consistent_read=True)
    except BreakerState.DoesNotExist:
        return None


def allow(key: str, *, open_s: float, probe_lease_s: float) -> Decision:
    """May a call go through ``key`` now?"""
    now = clock.now_ts()
    item = _get(key)
    if item is None or item.state == "closed":
        return Decision(True)
    if item.state == "open" and now < item.open_until:
        return Decision(False, retry_at=item.open_until)
    if item.state == "half_open" and now < item.probe_until:
        return Decision(False, retry_at=item.probe_until)
    # open and expired, or a half-open probe that never reported: claim the probe
    try:
        item.update(
            actions=[BreakerState.state.set("half_open"), BreakerState.probe_until.set(now + probe_lease_s),
                     BreakerState.updated_at.set(clock.now())],
            condition=(BreakerState.state == item.state) & (BreakerState.open_until == item.open_until)
            & (BreakerState.probe_until == item.probe_until),
        )
    except Exception as exc:
        if condition_failed(exc):
            return Decision(False, retry_at=now + 1)
        raise
    logger.info("breaker half-open probe", extra={"breaker": key})
    return Decision(True, probe=True)


def record_success(key: str) -> None:
    item = _get(key)
    if item is None or (item.state == "closed" and item.failures == 0):
        return
    BreakerState(key).update(actions=[BreakerState.state.set("closed"), BreakerState.failures.set(0),
                                      BreakerState.updated_at.set(clock.now())])
    if item.state != "closed":
        logger.info("breaker closed", extra={"breaker": key})
        count("publish_breaker_transitions_total", breaker=key.split(":", 1)[0], to="closed")


def record_failure(key: str, *, threshold: int, open_s: float) -> bool:
    """Count one failure; returns True when this failure opened the breaker."""
    now = clock.now_ts()
    item = BreakerState(key)
    item.update(actions=[BreakerState.failures.add(1), BreakerState.updated_at.set(clock.now())])
    failures = int(item.failures or 0)
    state = item.state or "closed"
    if state == "open" and now < (item.open_until or 0):
        return False
    if state == "half_open" or failures >= threshold:
        try:
            BreakerState(key).update(
                actions=[BreakerState.state.set("open"), BreakerState.open_until.set(now + open_s),
                         BreakerState.probe_until.set(0)],
                condition=(BreakerState.state == state) | BreakerState.state.does_not_exist(),
            )
        except Exception as exc:
            if condition_failed(exc):
                return False
            raise
        logger.warning("breaker opened", extra={"breaker": key, "failures": failures})
        count("publish_breaker_transitions_total", breaker=key.split(":", 1)[0], to="open")
        return True
    return False


def state_of(key: str) -> str:
    item = _get(key)
    return item.state if item else "closed"
