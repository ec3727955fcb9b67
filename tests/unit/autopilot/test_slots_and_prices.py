"""Autopilot's pure parts: the day's slots (best hours in the org's zone, quiet hours, lead time), quiet hours that
wrap midnight, the next run in the org's zone across DST, and costs from the one price table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from lily.autopilot import config, ledger
from lily.autopilot.ports import Target
from lily.autopilot.run import plan_posts, plan_slots
from lily.autopilot.schemas import QuietHours

PARIS = ZoneInfo("Europe/Paris")
TUESDAY = date(2026, 12, 8)


def test_best_hours_of_the_day_first_in_the_orgs_zone():
    now = datetime(2026, 12, 8, 5, 0, tzinfo=UTC)  # 06:00 in Paris
    # local cells: Tuesday 15:00, then Wednesday 09:00 (another day: its hour is used after the day's own)
    slots = plan_slots([(1, 15), (2, 9)], PARIS, TUESDAY, now, 2, None)
    assert slots == [datetime(2026, 12, 8, 8, tzinfo=UTC), datetime(2026, 12, 8, 14, tzinfo=UTC)]


def test_each_platform_gets_its_own_best_slots_round_robin_over_the_targets():
    now = datetime(2026, 12, 8, 5, 0, tzinfo=UTC)
    x, li, x2 = Target("c1", "x"), Target("c2", "linkedin"), Target("c3", "x")
    best = {"x": [(1, 15), (1, 18)], "linkedin": [(1, 10)]}
    planned = plan_posts([x, li, x2], best, PARIS, TUESDAY, now, 4, None)
    # x has three posts: its two best hours (15:00, 18:00 Paris) and then the first default hour (09:00 Paris);
    # linkedin its own best (10:00 Paris); soonest first
    assert [(t.connection_id, at.hour) for t, at in planned] == [("c1", 8), ("c2", 9), ("c3", 14), ("c1", 17)]


def test_no_history_uses_the_default_hours_and_never_a_quiet_or_past_hour():
    now = datetime(2026, 12, 8, 11, 50, tzinfo=UTC)
    slots = plan_slots([], ZoneInfo("UTC"), TUESDAY, now, 8, QuietHours(start=18, end=20))
    assert [s.hour for s in slots] == [14, 17, 20]  # 12:00 is within the 15-minute lead; 19:00 is quiet


@pytest.mark.parametrize(("start", "end", "inside", "outside"), [(22, 7, [22, 23, 0, 6], [7, 12, 21]),
                                                                  (10, 18, [10, 17], [9, 18]), (5, 5, [], [5])])
def test_quiet_hours(start, end, inside, outside):
    q = QuietHours(start=start, end=end)
    assert all(q.covers(h) for h in inside) and not any(q.covers(h) for h in outside)


def test_the_next_run_is_six_in_the_orgs_zone_across_daylight_saving():
    assert config.next_run("America/New_York", datetime(2026, 3, 7, 12, tzinfo=UTC)) == \
        datetime(2026, 3, 8, 10, tzinfo=UTC)  # EDT from 8 March: 06:00 is 10:00 UTC
    assert config.next_run("America/New_York", datetime(2026, 3, 6, 12, tzinfo=UTC)) == \
        datetime(2026, 3, 7, 11, tzinfo=UTC)  # EST: 06:00 is 11:00 UTC
    assert config.next_run("UTC", datetime(2026, 12, 8, 6, 0, tzinfo=UTC)) == datetime(2026, 12, 9, 6, tzinfo=UTC)


def test_costs_come_from_the_price_table():
    assert ledger.text_cost_micros("gpt-4o-mini", 1000, 500) == 450
    assert ledger.text_cost_micros("unknown-model", 1_000_000, 0) == 2_500_000  # the default row
    assert ledger.text_cost_micros("gpt-4o-mini", 0, 0) == 0
    # a step is reserved at the dearest text price for the settings' allowance: an upper bound of its real cost
    assert ledger.text_reservation_micros() == 22_500
    assert ledger.text_reservation_micros() >= ledger.text_cost_micros("gpt-4o", 3000, 1500)
