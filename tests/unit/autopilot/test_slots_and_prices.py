"""Autopilot's pure parts: the day's slots (best hours in the org's zone, quiet hours, lead time), quiet hours that
wrap midnight, the next run in the org's zone across DST, and costs from the one price table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from lily.autopilot import config, ledger
from lily.autopilot.run import plan_slots
from lily.autopilot.schemas import QuietHours

PARIS = ZoneInfo("Europe/Paris")
TUESDAY = date(2026, 12, 8)


def test_best_hours_of_the_day_first_converted_to_the_orgs_zone():
    now = datetime(2026, 12, 8, 5, 0, tzinfo=UTC)  # 06:00 in Paris
    # UTC cells: Tuesday 14:00 (15:00 in Paris), then Wednesday 08:00 (09:00 in Paris, another day)
    slots = plan_slots([(1, 14), (2, 8)], PARIS, TUESDAY, now, 2, None)
    assert slots == [datetime(2026, 12, 8, 8, tzinfo=UTC), datetime(2026, 12, 8, 14, tzinfo=UTC)]


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
