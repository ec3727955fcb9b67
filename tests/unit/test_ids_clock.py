from datetime import UTC, datetime

from lily.core import clock, ids


def test_ulids_sort_by_time():
    with clock.freeze(datetime(2026, 1, 1, tzinfo=UTC)):
        a = ids.ulid()
    with clock.freeze(datetime(2026, 1, 2, tzinfo=UTC)):
        b = ids.ulid()
    assert len(a) == 26 and a < b


def test_prefixed_ids_are_unique():
    assert len({ids.new_id("org") for _ in range(1000)}) == 1000


def test_clock_freeze_and_advance():
    with clock.freeze(1000.0):
        clock.advance(5)
        assert clock.now_ts() == 1005.0
    clock.reset()
    assert clock.iso(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00Z"
