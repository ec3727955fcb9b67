"""Pure publishing logic: backoff delays, schedule input, post status."""

from types import SimpleNamespace

import pytest

from lily.publishing.retry import backoff_delay
from lily.publishing.schemas import ScheduleIn
from lily.publishing.states import post_status


def test_backoff_grows_exponentially_within_its_cap():
    top = lambda a, b: b  # noqa: E731 - the jitter's upper bound
    assert [backoff_delay(n, base_s=2, cap_s=60, rand=top) for n in (1, 2, 3, 4, 5, 6, 7)] == [2, 4, 8, 16, 32, 60, 60]


def test_backoff_full_jitter_never_spins():
    bottom = lambda a, b: a  # noqa: E731
    assert backoff_delay(3, base_s=2, cap_s=60, rand=bottom) == 1


def test_backoff_honours_the_platform_reset_time():
    mid = lambda a, b: (a + b) / 2  # noqa: E731
    delay = backoff_delay(1, base_s=2, cap_s=60, reset_in_s=120, rand=mid)
    assert 120 <= delay <= 122


def test_schedule_reads_an_offsetless_instant_in_its_time_zone():
    s = ScheduleIn(scheduled_at="2026-12-01T09:30:00", timezone="Europe/Paris")
    assert s.instant().utcoffset().total_seconds() == 3600


def test_unknown_time_zone_is_refused():
    with pytest.raises(ValueError):
        ScheduleIn(scheduled_at="2026-12-01T09:30:00", timezone="Mars/Olympus")


@pytest.mark.parametrize(("states", "status", "rank"), [
    ([], "draft", 0), (["draft"], "draft", 0), (["scheduled", "queued"], "scheduled", 0),
    (["publishing", "published"], "publishing", 1), (["published", "published"], "published", 2),
    (["failed"], "failed", 1), (["published", "failed"], "partial", 2), (["draft", "published"], "published", 1),
])
def test_post_status_from_targets(states, status, rank):
    # the status, and the rank (targets done) that stops a stale recompute from overwriting a newer one
    assert post_status([SimpleNamespace(state=s) for s in states]) == (status, rank)
