"""The weekly report (Sunday 08:00 UTC): what was published in the last seven days and how it performed, what
autopilot did and plans next; stored once per org and week, e-mailed to the org's owners and admins, readable by
the API. Engagement rate = engagements / impressions over the posts whose platform reports impressions (the
analytics formula, docs/analytics.md)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from lily.autopilot import config
from lily.autopilot.models import AutopilotCampaign, AutopilotConfig, AutopilotReport, AutopilotRun
from lily.autopilot.ports import WeeklyPorts
from lily.autopilot.schemas import WEEKDAYS, AutopilotReportPage, WeeklyReportOut
from lily.autopilot.settings import autopilot_settings
from lily.core import clock
from lily.core.db import won
from lily.core.errors import not_found
from lily.core.observability import count, logger
from lily.core.pages import PageParams, query_page


def _week_start(now: datetime) -> datetime:
    """The Monday 00:00 UTC of the week that ``now`` ends (Sunday's report covers Monday to now)."""
    day = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return day


def build(ports: WeeklyPorts, org_id: str, now: datetime) -> WeeklyReportOut:
    start = now - timedelta(days=7)
    posts = ports.weekly.published(org_id, start, now)
    seen = [p for p in posts if p.impressions is not None]
    impressions = sum(int(p.impressions or 0) for p in posts)
    engagements = sum(p.engagements for p in posts)
    rated_imp = sum(int(p.impressions or 0) for p in seen)
    rate = round(sum(p.engagements for p in seen) / rated_imp, 6) if rated_imp > 0 else None
    top = sorted(posts, key=lambda p: p.engagements, reverse=True)[:autopilot_settings().weekly_top_posts]
    runs = [r for r in AutopilotRun.query(org_id, AutopilotRun.run_id >= "run_", scan_index_forward=False, limit=50)
            if r.created_at >= start]
    cfg = config.load(org_id)
    campaign = next((c for c in AutopilotCampaign.query(org_id, scan_index_forward=False, limit=5)
                     if c.ends_on >= now.date().isoformat()), None)
    days = list(cfg.days or WEEKDAYS)
    auto = {"runs": len(runs), "made": sum(len(r.made or []) for r in runs),
            "cost_usd": round(sum(float((r.spent or {}).get("cost_usd", 0)) for r in runs), 6),
            "stopped": [r.stopped for r in runs if r.stopped][:5],
            "next_week": {"enabled": bool(cfg.enabled), "posting_days": days,
                          "posts_planned": int(cfg.posts_per_day) * len(days) if cfg.enabled else 0,
                          "topics": list(cfg.topics or []),
                          "campaign": {"theme": campaign.theme, "until": campaign.ends_on} if campaign else None}}
    return WeeklyReportOut(
        org_id=org_id, week=_week_start(now).date().isoformat(), published=len(posts), impressions=impressions,
        engagements=engagements, engagement_rate=rate, by_platform=dict(Counter(p.platform for p in posts)),
        top_posts=[{"post_id": p.post_id, "platform": p.platform, "published_at": clock.iso(p.published_at),
                    "engagements": p.engagements, "impressions": p.impressions} for p in top],
        autopilot=auto, created_at=now)


def _text(r: WeeklyReportOut) -> str:
    rate = f"{r.engagement_rate:.2%}" if r.engagement_rate is not None else "n/a (no impressions reported)"
    nxt = r.autopilot["next_week"]
    platforms = ", ".join(f"{k} {v}" for k, v in r.by_platform.items()) or "none"
    lines = [f"Week of {r.week}", f"Published: {r.published} ({platforms})",
             f"Engagements: {r.engagements}; impressions: {r.impressions}; engagement rate: {rate}",
             f"Autopilot: {r.autopilot['runs']} runs made {r.autopilot['made']} posts for "
             f"{r.autopilot['cost_usd']:.4f} USD",
             f"Next week: {nxt['posts_planned']} posts planned on {', '.join(nxt['posting_days'])}"
             + (f"; campaign '{nxt['campaign']['theme']}' until {nxt['campaign']['until']}" if nxt["campaign"] else "")]
    return "\n".join(lines)


def store_and_send(ports: WeeklyPorts, org_id: str, now: datetime) -> bool:
    """Build, store (once per org and week) and e-mail the report; False when this week's is already stored."""
    report = build(ports, org_id, now)
    item = AutopilotReport(org_id, report.week, data=report.model_dump(mode="json"), created_at=now)
    if not won(lambda: item.save(condition=AutopilotReport.week.does_not_exist())):
        return False
    sent = ports.mail.to_roles(org_id, ["owner", "admin"], f"Your Lily week ({report.week})", _text(report))
    count("autopilot_weekly_reports_total")
    logger.info("weekly report", extra={"org_id": org_id, "week": report.week, "emailed": sent})
    return True


def tick(ports: WeeklyPorts) -> dict[str, int]:
    """Every org with autopilot enabled (the sparse ``due`` index) gets this week's report."""
    now = clock.now()
    result = {"orgs": 0, "stored": 0, "failed": 0}
    for c in AutopilotConfig.due_index.query("due"):
        result["orgs"] += 1
        try:
            result["stored"] += int(store_and_send(ports, c.org_id, now))
        except Exception:  # noqa: BLE001 - boundary: one org's report must not stop the others (logged)
            logger.exception("weekly report failed", extra={"org_id": c.org_id})
            result["failed"] += 1
    return result


def get(org_id: str, week: str) -> WeeklyReportOut:
    try:
        return WeeklyReportOut(**AutopilotReport.get(org_id, week).data)
    except AutopilotReport.DoesNotExist:
        raise not_found("weekly report", week=week[:10]) from None


def list_reports(org_id: str, page: PageParams) -> AutopilotReportPage:
    items, cursor = query_page(
        lambda start, n: AutopilotReport.query(org_id, scan_index_forward=False, last_evaluated_key=start, limit=n),
        {"org_id": org_id}, page, lambda r: WeeklyReportOut(**r.data))
    return AutopilotReportPage(items=items, next_cursor=cursor)
