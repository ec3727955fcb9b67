"""The analytics API's models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Table = Literal["platforms", "connections", "top_posts", "heatmap"]
Ranking = Literal["engagements", "engagement_rate", "impressions", "likes", "comments", "shares", "clicks"]


class RefreshOut(BaseModel):
    run_id: str
    connections: int = Field(description="Connections whose collection was queued")


class PeriodOut(BaseModel):
    start: datetime
    end: datetime
    clamped: bool = Field(description="True when the asked period was cut to the plan's history or to now")
    level: str = Field(description="The org's analytics level (basic, standard, advanced, predictive)")


class Totals(BaseModel):
    posts: int = 0
    impressions: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    clicks: int = 0
    engagements: int = Field(0, description="likes + comments + shares + clicks")
    engagement_rate: float | None = Field(None, description="engagements / impressions over the rows whose platform "
                                                            "reports impressions (docs/analytics.md)")


class GroupRow(Totals):
    key: str = Field(description="The platform or the connection id")


class GroupTable(BaseModel):
    period: PeriodOut
    total: Totals
    rows: list[GroupRow]


class TopPostRow(BaseModel):
    post_id: str
    target_id: str
    platform: str
    connection_id: str
    published_at: datetime
    impressions: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    clicks: int | None
    engagements: int
    engagement_rate: float | None


class TopPosts(BaseModel):
    period: PeriodOut
    ranked_by: Ranking
    rows: list[TopPostRow]


class HeatmapCell(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    hour: int = Field(ge=0, le=23)
    posts: int
    engagements: int
    engagement_rate: float | None


class Heatmap(BaseModel):
    period: PeriodOut
    time_zone: str = Field("UTC", description="Weekday and hour are in this time zone")
    rows: list[HeatmapCell] = Field(description="Cells with at least one post")


class CurvePoint(BaseModel):
    taken_at: datetime
    impressions: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    clicks: int | None


class TargetCurve(BaseModel):
    target_id: str
    platform: str
    points: list[CurvePoint]


class PostCurve(BaseModel):
    post_id: str
    targets: list[TargetCurve]
