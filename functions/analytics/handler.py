"""Analytics HTTP function: per platform, per connection, top posts, posting-time heatmap, a post's curve, CSV
export of any table, and collection on demand. Every route is org-scoped; API keys need ``analytics:read``
(``analytics:write`` to refresh); each table asks the plan for its analytics level (docs/analytics.md)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from lily.analytics import export, report, schedule
from lily.analytics.ports import AnalyticsPorts
from lily.analytics.schemas import (
    GroupRow,
    GroupTable,
    Heatmap,
    HeatmapCell,
    PeriodOut,
    PostCurve,
    Ranking,
    RefreshOut,
    Table,
    TopPostRow,
    TopPosts,
)
from lily.composition import analytics_ports
from lily.core.config import get_settings
from lily.core.errors import ErrorCode, LilyError
from lily.core.fields import IsoDateTime
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
ROW = {"platforms": GroupRow, "connections": GroupRow, "top_posts": TopPostRow, "heatmap": HeatmapCell}
LEVEL = {"platforms": "basic", "top_posts": "basic", "connections": "standard", "heatmap": "advanced"}
START = Query(None, description="Period start (ISO 8601; default: 30 days before end; clamped to the plan's history)")
END = Query(None, description="Period end (ISO 8601; default and latest: now)")
When = Annotated[datetime, IsoDateTime] | None


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
           by: Ranking = "engagements", limit: int = 10) -> GroupTable | TopPosts | Heatmap:
    p = _period(ports, org_id, table, start, end)
    if table == "platforms":
        return report.by_platform(org_id, p)
    if table == "connections":
        return report.by_connection(org_id, p)
    if table == "top_posts":
        return report.top_posts(org_id, p, by, limit)
    return report.heatmap(org_id, p)


@app.get(BASE + "/platforms", response_model=GroupTable, operation_id="analytics_by_platform", tags=["analytics"],
         responses=errors(403, 422))
def by_platform(org_id: str, start: When = START, end: When = END,
                access: OrgAccess = Depends(reader), ports: AnalyticsPorts = Depends(analytics_ports)) -> GroupTable:
    return _table(ports, org_id, "platforms", start, end)


@app.get(BASE + "/connections", response_model=GroupTable, operation_id="analytics_by_connection",
         tags=["analytics"], responses=errors(403, 422))
def by_connection(org_id: str, start: When = START, end: When = END,
                  access: OrgAccess = Depends(reader),
                  ports: AnalyticsPorts = Depends(analytics_ports)) -> GroupTable:
    return _table(ports, org_id, "connections", start, end)


@app.get(BASE + "/top-posts", response_model=TopPosts, operation_id="analytics_top_posts", tags=["analytics"],
         responses=errors(403, 422))
def top_posts(org_id: str, start: When = START, end: When = END,
              by: Ranking = Query("engagements", description="What ranks the posts"),
              limit: int = Query(10, ge=1, le=100), access: OrgAccess = Depends(reader),
              ports: AnalyticsPorts = Depends(analytics_ports)) -> TopPosts:
    return _table(ports, org_id, "top_posts", start, end, by, limit)


@app.get(BASE + "/heatmap", response_model=Heatmap, operation_id="analytics_heatmap", tags=["analytics"],
         responses=errors(403, 422))
def heatmap(org_id: str, start: When = START, end: When = END,
            access: OrgAccess = Depends(reader), ports: AnalyticsPorts = Depends(analytics_ports)) -> Heatmap:
    return _table(ports, org_id, "heatmap", start, end)


@app.get(BASE + "/posts/{post_id}", response_model=PostCurve, operation_id="analytics_post_curve",
         tags=["analytics"], responses=errors(403, 404))
def post_curve(org_id: str, post_id: str, access: OrgAccess = Depends(reader),
               ports: AnalyticsPorts = Depends(analytics_ports)) -> PostCurve:
    ports.plan.require(org_id, "basic")
    return report.curve(org_id, post_id)


@app.get(BASE + "/export/{table}", response_class=StreamingResponse, operation_id="analytics_export_csv",
         tags=["analytics"], responses={200: {"content": {"text/csv": {}}, "description": "The table's rows as CSV"},
                                        **errors(403, 422)})
def export_csv(org_id: str, table: Table, start: When = START, end: When = END,
               by: Ranking = Query("engagements"), limit: int = Query(10, ge=1, le=100),
               access: OrgAccess = Depends(reader),
               ports: AnalyticsPorts = Depends(analytics_ports)) -> StreamingResponse:
    got = _table(ports, org_id, table, start, end, by, limit)
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
