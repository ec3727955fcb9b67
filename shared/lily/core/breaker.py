"""A circuit breaker whose state lives in DynamoDB, so every Lambda instance shares it.

closed → (``threshold`` consecutive failures) → open for ``open_s`` → one half-open probe: its success
closes the breaker, its failure opens it again. Every change is a conditional write; exactly one caller
wins the probe. Publishing keeps one per platform and one per connection (``platform:x``, ``connection:<id>``);
the AI port one per provider (``ai:openai``).

A publish reads both of its breakers once (:func:`read`: one BatchGetItem, or what this process read in the
last ``CACHE_S``) and hands what it read to :func:`allow` and :func:`record_success`, which then write only
when the state must change.
"""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

from lily.core import clock
from lily.core.db import won
from lily.core.models import BreakerState
from lily.core.observability import count, logger

_UNREAD = object()


class Decision(NamedTuple):
    allowed: bool
    probe: bool = False
    retry_at: float | None = None  # when rejected: when to ask again


CACHE_S = 1.0  # a breaker another instance opened is seen at most this late; this instance's changes at once
_seen: dict[tuple[str, str], tuple[float, BreakerState | None]] = {}  # (table, key) -> (read at, state)
_seen_lock = threading.Lock()


def _forget(key: str) -> None:
    with _seen_lock:
        _seen.pop((BreakerState.Meta.table_name, key), None)


def read(*keys: str) -> dict[str, BreakerState | None]:
    """The state of these breakers (None: never failed): one consistent BatchGetItem for those this process
    has not read in the last ``CACHE_S``."""
    now, table = time.monotonic(), BreakerState.Meta.table_name
    with _seen_lock:
        out = {k: v[1] for k in keys if (v := _seen.get((table, k))) and now - v[0] < CACHE_S}
    missing = [k for k in keys if k not in out]
    if missing:
        found = {item.key: item for item in BreakerState.batch_get(missing, consistent_read=True)}
        with _seen_lock:
            for k in missing:
                out[k] = found.get(k)
                _seen[(table, k)] = (now, out[k])
    return {k: out[k] for k in keys}


def _get(key: str) -> BreakerState | None:
    _forget(key)
    return read(key)[key]


def allow(key: str, *, probe_lease_s: float, item: BreakerState | None | object = _UNREAD) -> Decision:
    """May a call go through ``key`` now? ``item``: its state as just read by :func:`read`."""
    now = clock.now_ts()
    state = _get(key) if item is _UNREAD else item
    if state is None or state.state == "closed":
        return Decision(True)
    if state.state == "open" and now < state.open_until:
        return Decision(False, retry_at=state.open_until)
    if state.state == "half_open" and now < state.probe_until:
        return Decision(False, retry_at=state.probe_until)
    # open and expired, or a half-open probe that never reported: claim the probe
    _forget(key)
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
    _forget(key)
    BreakerState(key).update(actions=[BreakerState.state.set("closed"), BreakerState.failures.set(0),
                                      BreakerState.updated_at.set(clock.now())])
    if state.state != "closed":
        logger.info("breaker closed", extra={"breaker": key})
        count("breaker_transitions_total", breaker=key.split(":", 1)[0], to="closed")


def record_failure(key: str, *, threshold: int, open_s: float) -> bool:
    """Count one failure; returns True when this failure opened the breaker."""
    now = clock.now_ts()
    _forget(key)
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
    count("breaker_transitions_total", breaker=key.split(":", 1)[0], to="open")
    return True


def state_of(key: str) -> str:
    item = _get(key)
    return item.state if item else "closed"
