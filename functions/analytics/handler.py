"""Analytics HTTP function: per platform, per connection, top posts, posting-time heatmap (org's time zone),
follower growth, performance by template / tone / structure / AI image, predictive best times and a draft's
expected engagement, a post's curve, short-link clicks per link, post and day, CSV export of any table, and
collection on demand. Every route is
org-scoped; API keys need ``analytics:read`` (``analytics:write`` to refresh); each table asks the plan for its
analytics level (docs/analytics.md)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from datetime import UTC, datetime

from fastapi import Depends, Path, Query
from fastapi.responses import StreamingResponse

from lily.analytics import clicks, export, predictions, report, schedule
from lily.analytics.ports import AnalyticsPorts, ClickPorts
from lily.analytics.schemas import (
    BestTimes,
    ClickDayRow,
    ClickDays,
    ClickLinkRow,
    ClickLinks,
    ClickPostRow,
    ClickPosts,
    Dimension,
    DraftPrediction,
    FollowerGrowth,
    FollowerRow,
    GroupRow,
    GroupTable,
    Heatmap,
    HeatmapCell,
    Instant,
    PerformanceTable,
    PeriodOut,
    PostCurve,
    Ranking,
    RefreshOut,
    SlotRow,
    Table,
    TopPostRow,
    TopPosts,
)
from lily.composition import analytics_ports, click_ports
from lily.core.config import get_settings
from lily.core.errors import ErrorCode, LilyError
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware

settings = get_settings()
app = create_app("Lily analytics", "Engagement over time: per post, platform and connection, top posts, heatmap",
                 middleware=[rate_limit_middleware])
reader = org_access(OrgRole.viewer, scope="analytics:read")
writer = org_access(OrgRole.editor, scope="analytics:write")
BASE = "/api/orgs/{org_id}/analytics"
ROW = {"platforms": GroupRow, "connections": GroupRow, "top_posts": TopPostRow, "heatmap": HeatmapCell,
       "followers": FollowerRow, "performance": GroupRow, "best_times": SlotRow, "clicks_links": ClickLinkRow,
       "clicks_posts": ClickPostRow, "clicks_days": ClickDayRow}
CLICKS = {"clicks_links": clicks.by_link, "clicks_posts": clicks.by_post, "clicks_days": clicks.by_day}
LEVEL = {"platforms": "basic", "top_posts": "basic", "connections": "standard", "followers": "standard",
         "heatmap": "advanced", "performance": "advanced", "best_times": "predictive"}
PLATFORM = Query(None, pattern="^(x|facebook|instagram|linkedin)$", description="One platform (default: each)")
START = Query(None, description="Period start (ISO 8601; default: 30 days before end; clamped to the plan's history)")
END = Query(None, description="Period end (ISO 8601; default and latest: now)")


def _utc(at: datetime | None) -> datetime | None:
    try:
        return at if at is None else (at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC))
    except OverflowError:  # an instant at the calendar's edge whose UTC falls outside it
        raise LilyError(ErrorCode.VALIDATION_002, "the period is outside the calendar") from None


def _period(ports: AnalyticsPorts, org_id: str, table: str, start: datetime | None,
            end: datetime | None) -> PeriodOut:
    ports.plan.require(org_id, LEVEL[table])
    return report.period(ports.plan, org_id, _utc(start), _utc(end))


def _table(ports: AnalyticsPorts, org_id: str, table: str, start: datetime | None, end: datetime | None,
           by: Ranking = "engagements", limit: int = 10, dimension: Dimension = "template",
           platform: str | None = None) -> GroupTable | TopPosts | Heatmap | FollowerGrowth | BestTimes:
    p = _period(ports, org_id, table, start, end)
    if table == "platforms":
        return report.by_platform(org_id, p)
    if table == "connections":
        return report.by_connection(org_id, p)
    if table == "top_posts":
        return report.top_posts(org_id, p, by, limit)
    if table == "followers":
        return report.followers(org_id, p)
    if table == "performance":
        return report.performance(org_id, p, dimension)
    if table == "best_times":
        return predictions.best_times(ports, org_id, p, platform)
    return report.heatmap(org_id, p, ports.zones.zone(org_id))


@app.get(BASE + "/platforms", response_model=GroupTable, operation_id="analytics_by_platform", tags=["analytics"],
         responses=errors(403, 422))
def by_platform(org_id: str, start: Instant | None = START, end: Instant | None = END,
                access: OrgAccess = Depends(reader), ports: AnalyticsPorts = Depends(analytics_ports)) -> GroupTable:
    return _table(ports, org_id, "platforms", start, end)


@app.get(BASE + "/connections", response_model=GroupTable, operation_id="analytics_by_connection",
         tags=["analytics"], responses=errors(403, 422))
def by_connection(org_id: str, start: Instant | None = START, end: Instant | None = END,
                  access: OrgAccess = Depends(reader),
                  ports: AnalyticsPorts = Depends(analytics_ports)) -> GroupTable:
    return _table(ports, org_id, "connections", start, end)


@app.get(BASE + "/top-posts", response_model=TopPosts, operation_id="analytics_top_posts", tags=["analytics"],
         responses=errors(403, 422))
def top_posts(org_id: str, start: Instant | None = START, end: Instant | None = END,
              by: Ranking = Query("engagements", description="What ranks the posts"),
              limit: int = Query(10, ge=1, le=100), access: OrgAccess = Depends(reader),
              ports: AnalyticsPorts = Depends(analytics_ports)) -> TopPosts:
    return _table(ports, org_id, "top_posts", start, end, by, limit)


@app.get(BASE + "/heatmap", response_model=Heatmap, operation_id="analytics_heatmap", tags=["analytics"],
         responses=errors(403, 422))
def heatmap(org_id: str, start: Instant | None = START, end: Instant | None = END,
            access: OrgAccess = Depends(reader), ports: AnalyticsPorts = Depends(analytics_ports)) -> Heatmap:
    return _table(ports, org_id, "heatmap", start, end)


@app.get(BASE + "/followers", response_model=FollowerGrowth, operation_id="analytics_follower_growth",
         tags=["analytics"], responses=errors(403, 422))
def followers(org_id: str, start: Instant | None = START, end: Instant | None = END,
              access: OrgAccess = Depends(reader),
              ports: AnalyticsPorts = Depends(analytics_ports)) -> FollowerGrowth:
    return _table(ports, org_id, "followers", start, end)


@app.get(BASE + "/performance", response_model=PerformanceTable, operation_id="analytics_performance",
         tags=["analytics"], responses=errors(403, 422))
def performance(org_id: str, start: Instant | None = START, end: Instant | None = END,
                by: Dimension = Query("template", description="Group by the draft's template, tone, structure, or "
                                                              "by whether an AI image was used"),
                access: OrgAccess = Depends(reader),
                ports: AnalyticsPorts = Depends(analytics_ports)) -> PerformanceTable:
    return _table(ports, org_id, "performance", start, end, dimension=by)


@app.get(BASE + "/best-times", response_model=BestTimes, operation_id="analytics_best_times",
         tags=["analytics"], responses=errors(403, 422))
def best_times(org_id: str, start: Instant | None = START, end: Instant | None = END,
               platform: str | None = PLATFORM, access: OrgAccess = Depends(reader),
               ports: AnalyticsPorts = Depends(analytics_ports)) -> BestTimes:
    return _table(ports, org_id, "best_times", start, end, platform=platform)


def _clicks(ports: ClickPorts, org_id: str, table: str, start: datetime | None,
            end: datetime | None) -> ClickLinks | ClickPosts | ClickDays:
    return CLICKS[table](ports, org_id, clicks.period(ports, org_id, _utc(start), _utc(end)))


@app.get(BASE + "/clicks/links", response_model=ClickLinks, operation_id="analytics_clicks_by_link",
         tags=["analytics"], responses=errors(403, 422))
def clicks_by_link(org_id: str, start: Instant | None = START, end: Instant | None = END,
                   access: OrgAccess = Depends(reader), ports: ClickPorts = Depends(click_ports)) -> ClickLinks:
    """The org's short links clicked in the period (UTC days), most clicked first."""
    return _clicks(ports, org_id, "clicks_links", start, end)


@app.get(BASE + "/clicks/posts", response_model=ClickPosts, operation_id="analytics_clicks_by_post",
         tags=["analytics"], responses=errors(403, 422))
def clicks_by_post(org_id: str, start: Instant | None = START, end: Instant | None = END,
                   access: OrgAccess = Depends(reader), ports: ClickPorts = Depends(click_ports)) -> ClickPosts:
    """Clicks of the short links each post carries, in the period, most clicked first."""
    return _clicks(ports, org_id, "clicks_posts", start, end)


@app.get(BASE + "/clicks/days", response_model=ClickDays, operation_id="analytics_clicks_by_day",
         tags=["analytics"], responses=errors(403, 422))
def clicks_by_day(org_id: str, start: Instant | None = START, end: Instant | None = END,
                  access: OrgAccess = Depends(reader), ports: ClickPorts = Depends(click_ports)) -> ClickDays:
    """The org's short-link clicks per UTC day of the period."""
    return _clicks(ports, org_id, "clicks_days", start, end)


@app.get(BASE + "/predict/drafts/{draft_id}", response_model=DraftPrediction,
         operation_id="analytics_predict_draft", tags=["analytics"], responses=errors(403, 404, 422))
def predict_draft(org_id: str, draft_id: str = Path(pattern=r"^[A-Za-z0-9_.\-]{1,128}$"),
                  at: Instant | None = Query(None, description="When it would be published (default: the "
                                                                  "platform's best slot)"),
                  start: Instant | None = START, end: Instant | None = END,
                  access: OrgAccess = Depends(reader),
                  ports: AnalyticsPorts = Depends(analytics_ports)) -> DraftPrediction:
    p = _period(ports, org_id, "best_times", start, end)
    return predictions.draft(ports, org_id, draft_id, p, _utc(at))


@app.get(BASE + "/posts/{post_id}", response_model=PostCurve, operation_id="analytics_post_curve",
         tags=["analytics"], responses=errors(403, 404))
def post_curve(org_id: str, post_id: str, access: OrgAccess = Depends(reader),
               ports: AnalyticsPorts = Depends(analytics_ports)) -> PostCurve:
    ports.plan.require(org_id, "basic")
    return report.curve(org_id, post_id)


@app.get(BASE + "/export/{table}", response_class=StreamingResponse, operation_id="analytics_export_csv",
         tags=["analytics"], responses={200: {"content": {"text/csv": {}}, "description": "The table's rows as CSV"},
                                        **errors(403, 422)})
def export_csv(org_id: str, table: Table, start: Instant | None = START, end: Instant | None = END,
               by: Ranking = Query("engagements", description="top_posts: what ranks the posts"),
               limit: int = Query(10, ge=1, le=100),
               dimension: Dimension = Query("template", description="performance: what groups the posts"),
               platform: str | None = PLATFORM, access: OrgAccess = Depends(reader),
               ports: AnalyticsPorts = Depends(analytics_ports),
               click: ClickPorts = Depends(click_ports)) -> StreamingResponse:
    if table in CLICKS:
        got = _clicks(click, org_id, table, start, end)
    else:
        got = _table(ports, org_id, table, start, end, by, limit, dimension, platform)
    columns = list(ROW[table].model_fields)  # the JSON rows' fields, in order
    return StreamingResponse(export.lines(got.rows, columns), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{table}.csv"'})


@app.post(BASE + "/refresh", response_model=RefreshOut, status_code=202, operation_id="analytics_refresh",
          tags=["analytics"], responses=errors(403))
def refresh(org_id: str, access: OrgAccess = Depends(writer),
            ports: AnalyticsPorts = Depends(analytics_ports)) -> RefreshOut:
    ports.plan.require(org_id, "basic")
    return schedule.refresh(ports, org_id)


handler = http_handler(app)
