"""What analytics provides to other capabilities: research's own-posts engagement read from the stored counts (no
platform call), and the ``best_times(org_id, platform)`` provider autopilot uses (``[]`` on a short history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lily.analytics.models import AnalyticsPost, published_key
from lily.analytics.providers import BestTimesProvider, StoredEngagement
from lily.core import clock
from lily.research.ports import PublishedPost

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _row(org_id: str, i: int, at: datetime, likes: int, platform: str = "x", **extra) -> None:
    AnalyticsPost(org_id, published_key(at, f"t{i}"), target_id=f"t{i}", post_id=f"p{i}", connection_id="c1",
                  platform=platform, platform_post_id=f"pp{i}", published_at=at, impressions=1000, likes=likes,
                  comments=1, shares=None, clicks=0, collected_at=at + timedelta(days=1), **extra).save()


class Zones:
    def __init__(self, zone: str = "UTC") -> None:
        self.name = zone

    def zone(self, org_id: str) -> str:
        return self.name


def _post(i: int, at: datetime, connection_id: str = "c1") -> PublishedPost:
    return PublishedPost(post_id=f"p{i}", connection_id=connection_id, platform="x", platform_post_id=f"pp{i}",
                         text="t", url=None, published_at=at)


def test_research_reads_the_stored_counts_of_its_own_posts(lily_env):
    a, b = NOW - timedelta(days=3), NOW - timedelta(days=1)
    _row("org_a", 1, a, 10)
    _row("org_a", 2, b, 20)
    _row("org_b", 3, b, 99)  # another org's row at the same instant is never read
    posts = [_post(2, b), _post(1, a), _post(3, b), _post(4, b, "c2")]
    got = StoredEngagement().engagements("org_a", posts)
    assert got == [{"impressions": 1000, "likes": 20, "comments": 1, "clicks": 0},
                   {"impressions": 1000, "likes": 10, "comments": 1, "clicks": 0}, None, None]
    assert StoredEngagement().engagements("org_a", []) == []


def test_best_times_provider_for_autopilot(lily_env):
    provider = BestTimesProvider(Zones("Europe/Berlin"))
    with clock.freeze(NOW.timestamp()):
        for i in range(1, 11):
            _row("org_a", i, (NOW - timedelta(days=i)).replace(hour=17), 60)
        assert provider.best_times("org_a", "x") == []  # 10 posts: too little history, no guess
        for i in range(11, 31):
            _row("org_a", i, (NOW - timedelta(days=i - 10)).replace(hour=7), 20)
        slots = provider.best_times("org_a", "x")
    # 17:00 UTC is 18:00 in Berlin (CET): the evening posts earned three times the morning ones
    assert len(slots) == 3 and all(h == 18 for _, h in slots)
    assert provider.best_times("org_a", "linkedin") == []
