"""Per-account (and per-app) pacing to each platform's limits, shared by every Lambda instance.

Each rule "at most ``limit`` posts per ``window_s``, ``burst`` back to back" is a GCRA (generic cell
rate algorithm) with emission interval ``T = window / (limit - burst)`` and tolerance
``(burst - 1) * T``: any sliding window of ``window_s`` then holds at most ``limit`` posts, so Lily
never trips the platform's own limit. A post takes its slot at the moment it is about to be sent, never
earlier, so the limit holds for the calls the platform actually sees.

Posts that find no slot wait **in line**: the first account rule keeps ``line``, the next free place, and a
waiting post takes the place ``max(when a slot frees up, line)`` and moves ``line`` one interval on. So a
backlog of N posts on one account comes back one interval apart (one deferral each), instead of all of them
at the next free slot, where all but one would have to wait again. A free slot is never left idle: the post
that finds one takes it, newcomer or not. Holders of a place come back when SQS's whole-second delay and the
queue's backlog let them, often after their place; a slot kept for them went unused while every newcomer
queued behind the line (at N=1,000 under a backlog: 1,808 paced deferrals for 1,000 posts, 1,018 of them
newcomers sent behind a line whose slots were free; 357 with this rule). A holder that finds its slot taken
waits for the next one, keeping its place.

The state is one item per rule and account (theoretical arrival time, line), read together with the
account's block in one BatchGetItem (or taken from what this process saw within the last second) and
changed by optimistic conditional writes. When a platform still
answers 429 (another app on the same account, a limit we do not know), :func:`block` records its reset
time and the account waits.
"""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

from lily.core import clock
from lily.core.db import won
from lily.core.observability import count
from lily.publishing.models import PacingState
from lily.publishing.settings import PacingRule

_MAX_TRIES = 20


class Slot(NamedTuple):
    go: bool  # True: the slot is taken, post now
    at: float  # otherwise: come back at this instant (epoch seconds)
    place: float | None = None  # otherwise: the place in the account's line now held (hand it back on return)


def _key(platform: str, rule: PacingRule, index: int, connection_id: str) -> str:
    who = connection_id if rule.scope == "account" else "app"
    return f"{platform}#{rule.scope}{index}#{who}"


def _block_key(platform: str, connection_id: str) -> str:
    return f"{platform}#blocked#{connection_id}"


class _Seen:
    """What this process last read or wrote of each pacing item, for ``CACHE_S``. Deciding from it is safe:
    every slot is taken by a write conditional on ``seq``, which fails if anyone wrote since (then the item is
    read again); the values only grow, so a stale one only makes a post come back early."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: dict[tuple[str, str], tuple[float, PacingState | None]] = {}  # (table, key) -> (at, item)

    def get(self, keys: list[str]) -> dict[str, PacingState | None]:
        now, table = time.monotonic(), PacingState.Meta.table_name
        with self.lock:
            fresh = {k: v[1] for k in keys if (v := self.items.get((table, k))) and now - v[0] < CACHE_S}
        missing = [k for k in keys if k not in fresh]
        if missing:
            found = {i.key: i for i in PacingState.batch_get(missing, consistent_read=True)}
            for k in missing:
                self.put(k, found.get(k))
                fresh[k] = found.get(k)
        return fresh

    def put(self, key: str, item: PacingState | None) -> None:
        with self.lock:
            self.items[(PacingState.Meta.table_name, key)] = (time.monotonic(), item)

    def forget(self, key: str) -> None:
        with self.lock:
            self.items.pop((PacingState.Meta.table_name, key), None)


CACHE_S = 1.0
_seen = _Seen()


def _read(keys: list[str]) -> dict[str, PacingState | None]:
    return _seen.get(keys)


def _cas(key: str, item: PacingState | None, **values: float) -> bool:
    seq = int(item.seq) if item else 0

    def current(name: str) -> float:
        return float(getattr(item, name) or 0) if item else 0.0

    new = PacingState(key, seq=seq + 1, **{n: values.get(n, current(n)) for n in ("tat", "line", "blocked_until")})
    cond = PacingState.key.does_not_exist() if item is None else (PacingState.seq == seq)
    if won(lambda: new.save(condition=cond)):
        _seen.put(key, new)
        return True
    _seen.forget(key)
    return False


def _shape(rule: PacingRule) -> tuple[float, float]:
    """(interval, tolerance) of a rule's GCRA."""
    burst = min(rule.burst, max(1, rule.limit - 1))
    interval = rule.window_s / (rule.limit - burst) if rule.limit > burst else rule.window_s * 1.001
    return interval, (burst - 1) * interval


def acquire(platform: str, connection_id: str, rules: list[PacingRule], place: float | None = None) -> Slot:
    """Take a slot for one post of ``connection_id`` on ``platform`` now, or a place in line.

    ``place``: the place this post was given when it last waited (None for a newcomer).
    """
    block_key = _block_key(platform, connection_id)
    keys = [_key(platform, rule, i, connection_id) for i, rule in enumerate(rules)]
    line_index = next((i for i, r in enumerate(rules) if r.scope == "account"), 0)
    for _ in range(_MAX_TRIES):
        now = clock.now_ts()
        items = _read([block_key, *keys])
        blocked = items[block_key]
        if blocked is not None and blocked.blocked_until > now:
            count("publish_paced_total", platform=platform, reason="platform_reset")
            return Slot(False, float(blocked.blocked_until), place)
        ready, reason = now, ""
        for rule, key in zip(rules, keys, strict=True):
            item = items[key]
            interval, tolerance = _shape(rule)
            free_at = float(item.tat) - tolerance if item else 0.0
            if free_at > ready:
                ready, reason = free_at, rule.scope
        if not rules:
            return Slot(True, now)
        line_key, line_item = keys[line_index], items[keys[line_index]]
        line = float(line_item.line or 0) if line_item else 0.0
        if place is None and ready > now and line > ready:  # no free slot now: queue behind the line
            ready, reason = line, "line"
        if ready <= now:
            if all(_cas(key, items[key], tat=max(now, float(items[key].tat) if items[key] else 0.0) + _shape(rule)[0])
                   for rule, key in zip(rules, keys, strict=True)):
                return Slot(True, now)
            continue  # another worker moved first: read again
        count("publish_paced_total", platform=platform, reason=reason)
        if place is not None:  # already in line: come back when the slot frees up, keeping the place
            return Slot(False, ready, place)
        spot = max(ready, line)
        if _cas(line_key, line_item, line=spot + _shape(rules[line_index])[0]):
            return Slot(False, spot, spot)
    return Slot(False, clock.now_ts() + 1.0, place)  # heavy contention: come back shortly


def block(platform: str, connection_id: str, until: float) -> None:
    """The platform said this account may not post before ``until`` (epoch seconds)."""
    key = _block_key(platform, connection_id)
    for _ in range(_MAX_TRIES):
        item = _read([key])[key]
        if item is not None and item.blocked_until >= until:
            return
        if _cas(key, item, blocked_until=until):
            return
