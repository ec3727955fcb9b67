"""What the analytics API reads: a period validated and clamped to the plan's history, then one Query of the
org's published targets in it (``analytics_posts``), aggregated per platform, per connection, into top posts and
a posting-time heatmap; and a post's curve (``analytics_snapshots``).

Engagement rate = (likes + comments + shares + clicks) / impressions, summed over the rows whose platform reports
impressions (docs/analytics.md). The heatmap is in the org's time zone (PRODUCT.md). Follower growth reads the
daily counts (``analytics_followers``, one Query); performance groups the same targets by what made them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from lily.analytics.models import AnalyticsFollowers, AnalyticsPost, AnalyticsSnapshot, instant_key, series_key
from lily.analytics.ports import AnalyticsPlan
from lily.analytics.schemas import (
    CurvePoint,
    Dimension,
    FollowerGrowth,
    FollowerPoint,
    FollowerRow,
    FollowerSeries,
    GroupRow,
    GroupTable,
    Heatmap,
    HeatmapCell,
    PerformanceTable,
    PeriodOut,
    PostCurve,
    Ranking,
    TargetCurve,
    TopPostRow,
    TopPosts,
    Totals,
)
from lily.analytics.settings import analytics_settings
from lily.core import clock
from lily.core.errors import ErrorCode, LilyError

DEFAULT_DAYS = 30
ENGAGED = ("likes", "comments", "shares", "clicks")


def period(plan: AnalyticsPlan, org_id: str, start: datetime | None, end: datetime | None) -> PeriodOut:
    """The asked period, validated (start before end) and clamped to [now - the plan's history, now]."""
    level = plan.level(org_id)
    now = clock.now()
    oldest = now - timedelta(days=analytics_settings().history_days.get(level, DEFAULT_DAYS))
    if start is not None and end is not None and start >= end:
        raise LilyError(ErrorCode.VALIDATION_002, "start must be before end",
                        {"start": start.isoformat(), "end": end.isoformat()})
    e = min(end, now) if end is not None else now
    if e <= oldest:  # before subtracting from it: a year-1 end must be a 422, not an overflow
        raise LilyError(ErrorCode.VALIDATION_002, "the period is outside the plan's analytics history",
                        {"oldest": oldest.isoformat(), "now": now.isoformat()})
    s = max(start, oldest) if start is not None else max(e - timedelta(days=DEFAULT_DAYS), oldest)
    if s >= e:
        raise LilyError(ErrorCode.VALIDATION_002, "the period is outside the plan's analytics history",
                        {"oldest": oldest.isoformat(), "now": now.isoformat()})
    clamped = (start is not None and s != start) or (end is not None and e != end)
    return PeriodOut(start=s, end=e, clamped=clamped, level=level)


def rows(org_id: str, p: PeriodOut) -> Iterator[AnalyticsPost]:
    """The org's targets published in the period, oldest first (one paged Query)."""
    yield from AnalyticsPost.query(org_id, AnalyticsPost.published_key.between(instant_key(p.start),
                                                                               instant_key(p.end) + "~"))


def engagements(r: AnalyticsPost) -> int:
    return sum(int(getattr(r, f) or 0) for f in ENGAGED)


def rate(engaged: int, impressions: int) -> float | None:
    return round(engaged / impressions, 6) if impressions > 0 else None


def _totals(items: list[AnalyticsPost]) -> dict:
    t = {"posts": len(items), **{f: sum(int(getattr(r, f) or 0) for r in items)
                                 for f in ("impressions", *ENGAGED)}}
    t["engagements"] = sum(t[f] for f in ENGAGED)
    seen = [r for r in items if r.impressions is not None]
    t["engagement_rate"] = rate(sum(engagements(r) for r in seen), sum(int(r.impressions) for r in seen))
    return t


def grouped(org_id: str, p: PeriodOut, key: Callable[[AnalyticsPost], str]) -> GroupTable:
    groups: dict[str, list[AnalyticsPost]] = defaultdict(list)
    everything: list[AnalyticsPost] = []
    for r in rows(org_id, p):
        groups[key(r)].append(r)
        everything.append(r)
    return GroupTable(period=p, total=Totals(**_totals(everything)),
                      rows=[GroupRow(key=k, **_totals(v)) for k, v in sorted(groups.items())])


def by_platform(org_id: str, p: PeriodOut) -> GroupTable:
    return grouped(org_id, p, lambda r: r.platform)


def by_connection(org_id: str, p: PeriodOut) -> GroupTable:
    return grouped(org_id, p, lambda r: r.connection_id)


def _top_row(r: AnalyticsPost) -> TopPostRow:
    e = engagements(r)
    return TopPostRow(post_id=r.post_id, target_id=r.target_id, platform=r.platform, connection_id=r.connection_id,
                      published_at=r.published_at, impressions=_int(r.impressions), likes=_int(r.likes),
                      comments=_int(r.comments), shares=_int(r.shares), clicks=_int(r.clicks), engagements=e,
                      engagement_rate=rate(e, int(r.impressions)) if r.impressions is not None else None)


def _int(v: float | None) -> int | None:
    return None if v is None else int(v)


def top_posts(org_id: str, p: PeriodOut, by: Ranking, limit: int) -> TopPosts:
    """The period's targets ranked by ``by`` (highest first; unknown values last; ties: newest first)."""
    found = [_top_row(r) for r in rows(org_id, p)]
    found.sort(key=lambda t: (getattr(t, by) is not None, getattr(t, by) or 0, t.published_at), reverse=True)
    return TopPosts(period=p, ranked_by=by, rows=found[:limit])


def local(at: datetime, zone: str) -> datetime:
    """An instant in the org's time zone (an unknown zone name reads as UTC)."""
    try:
        return at.astimezone(ZoneInfo(zone))
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return at


def heatmap(org_id: str, p: PeriodOut, zone: str = "UTC") -> Heatmap:
    """Posts, engagements and engagement rate per (weekday, hour) of publishing, in the org's time zone."""
    cells: dict[tuple[int, int], list[AnalyticsPost]] = defaultdict(list)
    for r in rows(org_id, p):
        at = local(r.published_at, zone)
        cells[(at.weekday(), at.hour)].append(r)
    out = []
    for (day, hour), items in sorted(cells.items()):
        t = _totals(items)
        out.append(HeatmapCell(weekday=day, hour=hour, posts=t["posts"], engagements=t["engagements"],
                               engagement_rate=t["engagement_rate"]))
    return Heatmap(period=p, time_zone=zone, rows=out)


MANUAL = "manual"  # a post content generation did not write (no draft origin)


def dimension_key(by: Dimension) -> Callable[[AnalyticsPost], str]:
    if by == "ai_image":
        return lambda r: "true" if r.ai_image else "false"
    field = {"template": "template_id", "tone": "tone", "structure": "structure"}[by]
    return lambda r: getattr(r, field) or MANUAL


def performance(org_id: str, p: PeriodOut, by: Dimension) -> PerformanceTable:
    """The period's targets grouped by the draft's template, tone or structure, or by AI image used."""
    t = grouped(org_id, p, dimension_key(by))
    return PerformanceTable(period=t.period, total=t.total, rows=t.rows, by=by)


def followers(org_id: str, p: PeriodOut) -> FollowerGrowth:
    """Each connection's first and last daily count in the period, and its daily series (one Query)."""
    series: dict[str, list[AnalyticsFollowers]] = defaultdict(list)
    for f in AnalyticsFollowers.query(org_id, AnalyticsFollowers.day_key.between(
            p.start.strftime("%Y-%m-%d"), p.end.strftime("%Y-%m-%d") + "~")):
        series[f.connection_id].append(f)  # day order: the sort key starts with the day
    out, points = [], []
    for conn, days in sorted(series.items()):
        first, last = days[0], days[-1]
        growth = int(last.followers) - int(first.followers)
        out.append(FollowerRow(connection_id=conn, platform=last.platform, first_day=first.day,
                               first=int(first.followers), last_day=last.day, last=int(last.followers),
                               growth=growth, growth_rate=round(growth / int(first.followers), 6)
                               if first.followers else None))
        points.append(FollowerSeries(connection_id=conn, points=[FollowerPoint(day=d.day, followers=int(d.followers))
                                                                 for d in days]))
    return FollowerGrowth(period=p, rows=out, series=points)


def curve(org_id: str, post_id: str) -> PostCurve:
    """Every snapshot of the post's targets, in time order per target; 404 when none is stored for this org."""
    by_target: dict[str, TargetCurve] = {}
    for s in AnalyticsSnapshot.query(series_key(org_id, post_id)):
        c = by_target.setdefault(s.target_id, TargetCurve(target_id=s.target_id, platform=s.platform, points=[]))
        c.points.append(CurvePoint(taken_at=s.taken_at, impressions=_int(s.impressions), likes=_int(s.likes),
                                   comments=_int(s.comments), shares=_int(s.shares), clicks=_int(s.clicks)))
    if not by_target:
        raise LilyError(ErrorCode.VALIDATION_004, "no analytics for this post", {"post_id": post_id})
    return PostCurve(post_id=post_id, targets=list(by_target.values()))
