"""Weekly posting slots in an organization's time zone, as UTC instants (pure: no I/O).

A slot is a weekday and a wall-clock time (``mon 09:00``) in the org's IANA zone. Daylight-saving rules
(docs/scheduling.md):

- **A wall time that does not exist** (spring forward: 02:30 in Europe/Berlin on the last Sunday of March,
  02:30 in America/New_York on the second Sunday of March) is read with the offset in force before the change,
  so the post goes out as many minutes after the change as the slot was after the start of the gap: 03:30
  local. Two slots that land on the same instant that day (02:30 and 03:30) are one slot.
- **A wall time that happens twice** (fall back: 02:30 in Berlin, 01:30 in New York) is its first occurrence
  (``fold=0``, summer time): a weekly slot posts once, never twice.

:func:`next_slots` yields the instants of a set of slots after an instant, in order, each once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def slot_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``at`` on ``day`` in ``zone`` (a gap: the offset before it; a repeat: the
    first occurrence)."""
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0)).replace(tzinfo=zone)
    return local.astimezone(UTC)


def next_slots(slots: list[tuple[int, time]], zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """Instants (UTC) of the weekly ``slots`` ((weekday 0=Monday, wall time), in ``zone``) strictly after
    ``after``, ascending, without duplicates. Endless when ``slots`` is not empty."""
    if not slots:
        return
    after = after.astimezone(UTC)
    day = after.astimezone(zone).date() - timedelta(days=1)  # a gap can pull a slot of the next day before midnight
    last: datetime | None = None
    while True:
        weekday = day.weekday()
        todays = sorted({slot_instant(day, at, zone) for wd, at in slots if wd == weekday})
        for instant in todays:
            if instant > after and (last is None or instant > last):
                last = instant
                yield instant
        day += timedelta(days=1)
