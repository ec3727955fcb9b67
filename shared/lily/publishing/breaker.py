"""A circuit breaker whose state lives in DynamoDB, so every Lambda instance shares it.

closed → (``threshold`` consecutive failures) → open for ``open_s`` → one half-open probe: its success
closes the breaker, its failure opens it again. Every change is a conditional write; exactly one caller
wins the probe. One breaker per platform and one per connection (``platform:x``, ``connection:<id>``).

A publish reads both of its breakers once (:func:`read`, one BatchGetItem) and hands what it read to
:func:`allow` and :func:`record_success`, which then write only when the state must change.
"""

from __future__ import annotations

from dataclasses import dataclass

from lily.core import clock
from lily.core.db import won
from lily.core.observability import count, logger
from lily.publishing.models import BreakerState

_UNREAD = object()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    probe: bool = False
    retry_at: float | None = None  # when rejected: when to ask again


def read(*keys: str) -> dict[str, BreakerState | None]:
    """The current state of these breakers (None: never failed), in one consistent BatchGetItem."""
    found = {item.key: item for item in BreakerState.batch_get(list(keys), consistent_read=True)}
    return {key: found.get(key) for key in keys}


def _get(key: str) -> BreakerState | None:
    return read(key)[key]


def allow(key: str, *, open_s: float, probe_lease_s: float, item: BreakerState | None | object = _UNREAD) -> Decision:
    """May a call go through ``key`` now? ``item``: its state as just read by :func:`read`."""
    del open_s  # the open instant is stored on the breaker
    now = clock.now_ts()
    state = _get(key) if item is _UNREAD else item
    if state is None or state.state == "closed":
        return Decision(True)
    if state.state == "open" and now < state.open_until:
        return Decision(False, retry_at=state.open_until)
    if state.state == "half_open" and now < state.probe_until:
        return Decision(False, retry_at=state.probe_until)
    # open and expired, or a half-open probe that never reported: claim the probe
    if not won(lambda: state.update(
            actions=[BreakerState.state.set("half_open"), BreakerState.probe_until.set(now + probe_lease_s),
                     BreakerState.updated_at.set(clock.now())],
            condition=(BreakerState.state == state.state) & (BreakerState.open_until == state.open_until)
            & (BreakerState.probe_until == state.probe_until))):
        return Decision(False, retry_at=now + 1)
    logger.info("breaker half-open probe", extra={"breaker": key})
    return Decision(True, probe=True)


def record_success(key: str, item: BreakerState | None | object = _UNREAD) -> None:
    """A call through ``key`` succeeded; ``item``: its state as read before the call (no write if clean)."""
    state = _get(key) if item is _UNREAD else item
    if state is None or (state.state == "closed" and not state.failures):
        return
    BreakerState(key).update(actions=[BreakerState.state.set("closed"), BreakerState.failures.set(0),
                                      BreakerState.updated_at.set(clock.now())])
    if state.state != "closed":
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
    if state != "half_open" and failures < threshold:
        return False
    if not won(lambda: BreakerState(key).update(
            actions=[BreakerState.state.set("open"), BreakerState.open_until.set(now + open_s),
                     BreakerState.probe_until.set(0)],
            condition=(BreakerState.state == state) | BreakerState.state.does_not_exist())):
        return False
    logger.warning("breaker opened", extra={"breaker": key, "failures": failures})
    count("publish_breaker_transitions_total", breaker=key.split(":", 1)[0], to="open")
    return True


def state_of(key: str) -> str:
    item = _get(key)
    return item.state if item else "closed"
