"""Retry delays: exponential backoff with full jitter, capped, never before the platform's reset time."""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_delay(attempt: int, *, base_s: float, cap_s: float, reset_in_s: float | None = None,
                  rand: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds to wait before attempt ``attempt + 1`` after ``attempt`` failed (``attempt`` >= 1).

    Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in
    ``[0, min(cap, base * 2**(attempt-1))]``, floored at ``base / 2`` so retries never spin. When the
    platform named a reset time, the delay is at least that long plus up to ``base`` of jitter, so the
    accounts that hit the same limit do not all come back in the same second.
    """
    attempt = max(1, attempt)
    ceiling = min(cap_s, base_s * (2 ** (attempt - 1)))
    delay = max(base_s / 2, rand(0.0, ceiling))
    if reset_in_s is not None and reset_in_s > 0:
        delay = max(delay, reset_in_s + rand(0.0, base_s))
    return min(delay, max(cap_s, reset_in_s or 0.0) + base_s)
