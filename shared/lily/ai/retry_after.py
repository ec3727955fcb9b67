"""How long a provider asked us to wait: ``retry-after-ms``, ``retry-after`` (seconds or an HTTP date),
then the ``x-ratelimit-reset-requests`` / ``-tokens`` durations (``1s``, ``6m0s``, ``20ms``) of the
exhausted limit (facts §5.5)."""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping

from lily.core import clock

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: str) -> float | None:
    """``6m0s`` → 360.0; ``20ms`` → 0.02; ``1.5s`` → 1.5; anything else → None."""
    value = value.strip()
    parts = _PART.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        return None
    return sum(float(n) * _UNIT[u] for n, u in parts)


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait before the next call, or None when the headers say nothing."""
    lower = {k.lower(): v for k, v in headers.items()}
    if (ms := lower.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    if (ra := lower.get("retry-after")) is not None:
        try:
            return max(0.0, float(ra))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(ra) if ra.strip() else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - clock.now_ts())
    resets: dict[str, float] = {}
    for kind in ("requests", "tokens"):
        seconds = parse_duration(lower.get(f"x-ratelimit-reset-{kind}") or "")
        if seconds is not None:
            resets[kind] = seconds
    exhausted = [s for kind, s in resets.items() if lower.get(f"x-ratelimit-remaining-{kind}", "0").strip() == "0"]
    waits = exhausted or list(resets.values())
    return max(waits) if waits else None
