"""The one clock. Tests move time with :func:`freeze` instead of patching datetime."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime

_offset_s: float = 0.0
_frozen: float | None = None


def now_ts() -> float:
    return (_frozen if _frozen is not None else time.time()) + _offset_s


def now() -> datetime:
    return datetime.fromtimestamp(now_ts(), tz=UTC)


def iso(dt: datetime | None = None) -> str:
    return (dt or now()).astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@contextmanager
def freeze(at: datetime | float):
    """Freeze the clock at an instant (tests)."""
    global _frozen
    previous = _frozen
    _frozen = at.timestamp() if isinstance(at, datetime) else float(at)
    try:
        yield
    finally:
        _frozen = previous


def advance(seconds: float) -> None:
    """Move the clock forward (tests; works frozen or not)."""
    global _offset_s
    _offset_s += seconds


def sleep(seconds: float) -> None:
    """Wait ``seconds``; with the clock frozen (tests), the frozen instant moves on by that much instead."""
    if seconds <= 0:
        return
    if _frozen is not None:
        advance(seconds)
    else:
        time.sleep(seconds)


def reset() -> None:
    global _offset_s, _frozen
    _offset_s, _frozen = 0.0, None
