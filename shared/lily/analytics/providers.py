"""What analytics provides to other capabilities (each implements a Protocol the consumer declares; the composition
root wires them):

- :class:`BestTimesProvider` — ``best_times(org_id, platform)``: the org's best (weekday, hour) slots for a
  platform in its own time zone, best first; ``[]`` when its history is too short (never a guess). For
  autopilot's "best times" (and anything else that schedules at the org's best slots).
- :class:`BestPerformers` — content's :class:`lily.content.ports.PerformancePort`: the org's templates and tones
  per platform that earned at least the platform's overall engagement rate, best first.
- :class:`StoredEngagement` — research's :class:`lily.research.ports.EngagementSource`: published posts' latest
  collected counts from ``analytics_posts`` (the last snapshot of each target), no platform call.

None of them gates by plan: the caller's own feature decides (autopilot's level, content, research).
"""

from __future__ import annotations

from datetime import timedelta

from lily.analytics import predict, predictions
from lily.analytics.models import COUNTS, AnalyticsPost, instant_key
from lily.analytics.ports import OrgZones
from lily.analytics.schemas import PeriodOut
from lily.content.ports import Performer
from lily.core import clock
from lily.research.ports import PublishedPost

LEARN_DAYS = 180  # the history the providers learn from (within what the TTL kept)


def _period(days: int) -> PeriodOut:
    now = clock.now()
    return PeriodOut(start=now - timedelta(days=days), end=now, clamped=False, level="")


class BestTimesProvider:
    def __init__(self, zones: OrgZones) -> None:
        self.zones = zones

    def best_times(self, org_id: str, platform: str, limit: int = 3) -> list[tuple[int, int]]:
        """(weekday 0 = Monday, hour) in the org's time zone, best first; [] with fewer than
        ``predict.MIN_POSTS`` settled posts on the platform."""
        samples = predictions.history(org_id, _period(LEARN_DAYS), self.zones.zone(org_id)).get(platform, [])
        if not predict.enough(samples):
            return []
        return [(d, h) for d, h, _ in predict.fit(samples).best_slots(limit)]


class BestPerformers:
    def best(self, org_id: str) -> dict[str, list[Performer]]:
        found = predictions.performers(org_id, clock.now() - timedelta(days=LEARN_DAYS))
        out = {}
        for platform, kinds in found.items():
            mine = [Performer(kind=kind.removesuffix("s"), key=k, engagement_rate=rate, posts=n)
                    for kind in ("templates", "tones") for k, rate, n in kinds[kind]]
            # best rate first; at the same rate a template (more specific) before a tone
            mine.sort(key=lambda b: (-b.engagement_rate, b.kind != "template", b.key))
            if mine:
                out[platform] = mine
        return out


class StoredEngagement:
    def engagements(self, org_id: str, posts: list[PublishedPost]) -> list[dict[str, int] | None]:
        """Each post's latest collected counts (None: not collected yet): one Query over the posts' span."""
        if not posts:
            return []
        first = min(p.published_at for p in posts)
        last = max(p.published_at for p in posts)
        stored = {(r.connection_id, r.platform_post_id): r for r in AnalyticsPost.query(
            org_id, AnalyticsPost.published_key.between(instant_key(first), instant_key(last) + "~"))}
        out: list[dict[str, int] | None] = []
        for p in posts:
            r = stored.get((p.connection_id, p.platform_post_id))
            out.append(None if r is None else {f: int(v) for f in COUNTS if (v := getattr(r, f)) is not None})
        return out

