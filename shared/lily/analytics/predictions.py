"""Predictive analytics on the org's stored history (:mod:`lily.analytics.predict` is the model): best times per
platform, a draft's expected engagement, and the org's best performers (templates and tones per platform).

The history is the org's targets in the period (``analytics_posts``, one Query), settled and with impressions,
their publishing instants in the org's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from lily.analytics import predict, report
from lily.analytics.models import AnalyticsPost
from lily.analytics.ports import AnalyticsPorts
from lily.analytics.predict import Sample
from lily.analytics.schemas import BestTimes, DraftPrediction, ModelError, PeriodOut, PlatformModel, SlotRow
from lily.core import clock
from lily.core.errors import ErrorCode, LilyError

MIN_GROUP_POSTS = 3  # a template or tone needs this many posts to rank as a performer


def sample(r: AnalyticsPost, zone: str) -> Sample:
    return Sample(at=report.local(r.published_at, zone), rate=report.engagements(r) / int(r.impressions),
                  impressions=int(r.impressions), template=r.template_id, tone=r.tone)


def settled(r: AnalyticsPost, now: datetime) -> bool:
    return r.impressions is not None and r.impressions > 0 and r.published_at <= now - timedelta(
        hours=predict.SETTLE_H)


def history(org_id: str, p: PeriodOut, zone: str) -> dict[str, list[Sample]]:
    """The period's settled targets with impressions, per platform, in the org's time zone."""
    now = clock.now()
    found: dict[str, list[Sample]] = defaultdict(list)
    for r in report.rows(org_id, p):
        if settled(r, now):
            found[r.platform].append(sample(r, zone))
    return found


def _error(samples: list[Sample]) -> ModelError:
    e = predict.evaluate(samples)
    return ModelError(method=predict.METHOD, held_out_posts=e.held_out, model_mae=e.model_mae,
                      baseline=predict.BASELINE, baseline_mae=e.baseline_mae)


def _short(platform: str, n: int) -> PlatformModel:
    return PlatformModel(platform=platform, status="insufficient_history", history_posts=n,
                         needed_posts=predict.MIN_POSTS, error=None,
                         message=f"{n} settled post(s) with impressions on {platform}; the model needs "
                                 f"{predict.MIN_POSTS} before it predicts anything")


def best_times(ports: AnalyticsPorts, org_id: str, p: PeriodOut, platform: str | None = None,
               limit: int = 3) -> BestTimes:
    zone = ports.zones.zone(org_id)
    found = history(org_id, p, zone)
    models: list[PlatformModel] = []
    slots: list[SlotRow] = []
    for name in sorted(found) if platform is None else [platform]:
        samples = found.get(name, [])
        if not predict.enough(samples):
            models.append(_short(name, len(samples)))
            continue
        model = predict.fit(samples)
        models.append(PlatformModel(platform=name, status="ok", history_posts=len(samples),
                                    needed_posts=predict.MIN_POSTS, error=_error(samples)))
        slots += [SlotRow(platform=name, rank=i + 1, weekday=d, hour=h, expected_engagement_rate=round(rate, 6),
                          posts=model.hour_posts[h]) for i, (d, h, rate) in enumerate(model.best_slots(limit))]
    return BestTimes(period=p, time_zone=zone, platforms=models, rows=slots)


def _next(weekday: int, hour: int, zone: str) -> datetime:
    """The next start of (weekday, hour) in the zone after now (wall-clock hours: a week holds each once)."""
    start = report.local(clock.now(), zone).replace(minute=0, second=0, microsecond=0)
    for i in range(1, 24 * 7 + 1):
        at = start + timedelta(hours=i)
        if at.weekday() == weekday and at.hour == hour:
            return at
    raise AssertionError("every (weekday, hour) occurs within a week")  # pragma: no cover - arithmetic


def draft(ports: AnalyticsPorts, org_id: str, draft_id: str, p: PeriodOut, at: datetime | None) -> DraftPrediction:
    found = ports.origins.of_draft(org_id, draft_id)
    if found is None:
        raise LilyError(ErrorCode.VALIDATION_004, "draft not found", {"draft_id": draft_id})
    platform, origin = found
    zone = ports.zones.zone(org_id)
    samples = history(org_id, p, zone).get(platform, [])
    if not predict.enough(samples):
        short = _short(platform, len(samples))
        return DraftPrediction(draft_id=draft_id, platform=platform, status=short.status,
                               history_posts=short.history_posts, needed_posts=short.needed_posts,
                               message=short.message, at=at, expected_engagement_rate=None,
                               expected_engagements=None, error=None)
    model = predict.fit(samples)
    if at is None:
        d, h, _ = model.best_slots(1)[0]
        at = _next(d, h, zone)
    local = report.local(at, zone)
    rate = model.predict(local.weekday(), local.hour, origin.template_id, origin.tone)
    return DraftPrediction(draft_id=draft_id, platform=platform, status="ok", history_posts=len(samples),
                           needed_posts=predict.MIN_POSTS, at=at, expected_engagement_rate=round(rate, 6),
                           expected_engagements=round(rate * model.median_impressions), error=_error(samples))


def performers(org_id: str, since: datetime) -> dict[str, dict[str, list[tuple[str, float, int]]]]:
    """Per platform, the org's templates and tones that earned at least the platform's overall engagement rate,
    best first, each with its rate and post count (a group needs ``MIN_GROUP_POSTS`` posts with impressions)."""
    p = PeriodOut(start=since, end=clock.now(), clamped=False, level="")
    groups: dict[tuple[str, str, str], list[AnalyticsPost]] = defaultdict(list)
    overall: dict[str, list[AnalyticsPost]] = defaultdict(list)
    for r in report.rows(org_id, p):
        if r.impressions is None or r.impressions <= 0:
            continue
        overall[r.platform].append(r)
        if r.template_id:
            groups[(r.platform, "templates", r.template_id)].append(r)
        if r.tone:
            groups[(r.platform, "tones", r.tone)].append(r)

    def rate(items: list[AnalyticsPost]) -> float:
        return sum(report.engagements(r) for r in items) / sum(int(r.impressions) for r in items)

    out: dict[str, dict[str, list[tuple[str, float, int]]]] = defaultdict(lambda: {"templates": [], "tones": []})
    for (platform, kind, key), items in groups.items():
        if len(items) >= MIN_GROUP_POSTS and rate(items) >= rate(overall[platform]):
            out[platform][kind].append((key, round(rate(items), 6), len(items)))
    for kinds in out.values():
        for ranked in kinds.values():
            ranked.sort(key=lambda g: (-g[1], -g[2], g[0]))
    return dict(out)
