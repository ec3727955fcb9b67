"""Weekly slots as UTC instants, across both daylight-saving changes in Europe/Berlin and America/New_York."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from lily.publishing.conflicts import over_pacing
from lily.publishing.slots import next_slots, slot_instant

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
SUN = 6


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _take(slots, zone, after, n):
    return list(islice(next_slots(slots, zone, after), n))


def test_berlin_spring_forward_0230_goes_out_at_0330_summer_time():
    # 2027-03-28: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day
    got = _take([(SUN, time(2, 30))], BERLIN, _utc(2027, 3, 27), 2)
    assert got[0] == _utc(2027, 3, 28, 1, 30)
    assert got[0].astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"
    assert got[1] == _utc(2027, 4, 4, 0, 30)  # a week later 02:30 CEST again


def test_berlin_spring_forward_two_slots_landing_on_one_instant_are_one_slot():
    got = _take([(SUN, time(2, 30)), (SUN, time(3, 30))], BERLIN, _utc(2027, 3, 27), 3)
    assert got == [_utc(2027, 3, 28, 1, 30), _utc(2027, 4, 4, 0, 30), _utc(2027, 4, 4, 1, 30)]


def test_berlin_fall_back_repeated_0230_posts_once_in_summer_time():
    # 2027-10-31: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice
    got = _take([(SUN, time(2, 30))], BERLIN, _utc(2027, 10, 30), 2)
    assert got == [_utc(2027, 10, 31, 0, 30), _utc(2027, 11, 7, 1, 30)]
    assert got[0].astimezone(BERLIN).strftime("%H:%M %Z") == "02:30 CEST"


def test_new_york_spring_forward_0230_goes_out_at_0330_daylight_time():
    # 2027-03-14: 02:00 EST jumps to 03:00 EDT
    got = _take([(SUN, time(2, 30))], NEW_YORK, _utc(2027, 3, 13), 2)
    assert got[0] == _utc(2027, 3, 14, 7, 30)
    assert got[0].astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:30 EDT"
    assert got[1] == _utc(2027, 3, 21, 6, 30)


def test_new_york_fall_back_repeated_0130_posts_once_in_daylight_time():
    # 2027-11-07: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice
    got = _take([(SUN, time(1, 30))], NEW_YORK, _utc(2027, 11, 6), 2)
    assert got == [_utc(2027, 11, 7, 5, 30), _utc(2027, 11, 14, 6, 30)]
    assert got[0].astimezone(NEW_YORK).strftime("%H:%M %Z") == "01:30 EDT"


def test_a_slot_exactly_at_after_is_not_returned():
    at = slot_instant(date(2027, 1, 4), time(9, 0), BERLIN)
    assert _take([(0, time(9, 0))], BERLIN, at, 1) == [at + timedelta(days=7)]


def test_no_slots_yield_nothing():
    assert _take([], BERLIN, _utc(2027, 1, 1), 3) == []


ZONES = st.sampled_from([BERLIN, NEW_YORK, ZoneInfo("UTC"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Tehran")])
SLOTS = st.lists(st.tuples(st.integers(0, 6), st.times().map(lambda t: t.replace(second=0, microsecond=0))),
                 min_size=1, max_size=8)
AFTER = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2029, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC))


@settings(max_examples=300, deadline=None)
@given(slots=SLOTS, zone=ZONES, after=AFTER)
def test_slots_are_every_slot_instant_after_in_order_once(slots, zone, after):
    got = _take(slots, zone, after, 20)
    # ascending, all after ``after``, no instant twice
    assert all(a < b for a, b in zip(got, got[1:], strict=False)) and got[0] > after
    # exactly the slot instants of the local days covered (the oracle: every slot of every day, by slot_instant)
    first_day = after.astimezone(zone).date() - timedelta(days=2)
    every = {slot_instant(first_day + timedelta(days=i), t, zone)
             for i in range((got[-1] - after).days + 5) for wd, t in slots
             if (first_day + timedelta(days=i)).weekday() == wd}
    assert got == sorted(x for x in every if after < x <= got[-1])
    # each instant shows its slot's wall time, unless that wall time did not exist that day (then later)
    for x in got:
        local = x.astimezone(zone)
        wall = [t for wd, t in slots if wd == local.weekday() or wd == (local - timedelta(days=1)).weekday()]
        assert any(local.time().replace(tzinfo=None) == t or slot_instant(local.date(), t, zone) == x
                   or slot_instant(local.date() - timedelta(days=1), t, zone) == x for t in wall)


def _t(minutes: float) -> datetime:
    return _utc(2027, 1, 1) + timedelta(minutes=minutes)


def test_pacing_refuses_the_post_that_would_overfill_a_window():
    # at most 3 posts in any 60 minutes
    assert not over_pacing([_t(0), _t(10)], _t(50), limit=3, window_s=3600)
    assert over_pacing([_t(0), _t(10), _t(20)], _t(50), limit=3, window_s=3600)
    assert not over_pacing([_t(0), _t(10), _t(20)], _t(61), limit=3, window_s=3600)  # _t(0) left the window
    assert over_pacing([_t(70), _t(80), _t(90)], _t(50), limit=3, window_s=3600)  # windows after it count too
