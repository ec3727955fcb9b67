"""The analytics API's models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from lily.core.fields import IsoDateTime

Instant = Annotated[datetime, IsoDateTime]  # a query parameter's ISO 8601 instant (never a number)

Table = Literal["platforms", "connections", "top_posts", "heatmap", "followers", "performance", "best_times",
                "clicks_links", "clicks_posts", "clicks_days"]
Dimension = Literal["template", "tone", "structure", "ai_image"]
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


class FollowerPoint(BaseModel):
    day: str = Field(description="UTC day (YYYY-MM-DD)")
    followers: int


class FollowerRow(BaseModel):
    connection_id: str
    platform: str
    first_day: str
    first: int = Field(description="Followers on the period's first collected day")
    last_day: str
    last: int = Field(description="Followers on the period's last collected day")
    growth: int = Field(description="last - first")
    growth_rate: float | None = Field(description="growth / first (None when first is 0)")


class FollowerSeries(BaseModel):
    connection_id: str
    points: list[FollowerPoint]


class FollowerGrowth(BaseModel):
    period: PeriodOut
    rows: list[FollowerRow] = Field(description="One row per connection with a count in the period")
    series: list[FollowerSeries] = Field(description="Each connection's daily counts, in day order")


class PerformanceTable(GroupTable):
    by: Dimension = Field(description="What groups the posts: the draft's template, tone or structure (\"manual\" "
                                      "for posts not made by content generation), or whether an AI image was used")


class SlotRow(BaseModel):
    platform: str
    rank: int = Field(ge=1, description="1 = the best slot of the platform")
    weekday: int = Field(ge=0, le=6, description="0 = Monday, in the org's time zone")
    hour: int = Field(ge=0, le=23)
    expected_engagement_rate: float
    posts: int = Field(description="The org's posts of the history at this hour")


class ModelError(BaseModel):
    method: str
    held_out_posts: int = Field(description="The latest quarter of the history, left out of the fit")
    model_mae: float | None = Field(description="Mean absolute error of the engagement rate on the held-out posts")
    baseline: str
    baseline_mae: float | None = Field(description="The naive baseline's error on the same posts")


class PlatformModel(BaseModel):
    platform: str
    status: Literal["ok", "insufficient_history"]
    history_posts: int = Field(description="Settled posts with impressions the model learned from")
    needed_posts: int
    message: str | None = Field(None, description="Why there is no answer (too little history)")
    error: ModelError | None


class BestTimes(BaseModel):
    period: PeriodOut
    time_zone: str
    platforms: list[PlatformModel]
    rows: list[SlotRow] = Field(description="Best slots per platform, best first (none for a platform whose "
                                            "history is too short)")


class DraftPrediction(BaseModel):
    draft_id: str
    platform: str
    status: Literal["ok", "insufficient_history"]
    history_posts: int
    needed_posts: int
    message: str | None = None
    at: datetime | None = Field(description="The instant predicted for (default: the best slot's next occurrence)")
    expected_engagement_rate: float | None
    expected_engagements: int | None = Field(description="The rate times the platform's median impressions")
    error: ModelError | None


class ClickLinkRow(BaseModel):
    code: str
    short_url: str
    url: str = Field(description="The target, UTM parameters included")
    platform: str | None
    campaign: str | None
    posts: int = Field(description="Posts whose text carries the link")
    clicks: int = Field(description="Redirects counted in the period")


class ClickPostRow(BaseModel):
    post_id: str
    links: int = Field(description="The post's short links clicked in the period")
    clicks: int = Field(description="Clicks of those links (a link carried by several posts counts for each)")


class ClickDayRow(BaseModel):
    day: str = Field(description="UTC day (YYYY-MM-DD) the redirect counted the clicks")
    links: int = Field(description="Short links clicked that day")
    clicks: int


class ClickLinks(BaseModel):
    period: PeriodOut
    total_clicks: int
    rows: list[ClickLinkRow] = Field(description="Most clicked first")


class ClickPosts(BaseModel):
    period: PeriodOut
    total_clicks: int = Field(description="Clicks of the period's links that some post carries")
    rows: list[ClickPostRow] = Field(description="Most clicked first")


class ClickDays(BaseModel):
    period: PeriodOut
    total_clicks: int
    rows: list[ClickDayRow] = Field(description="Oldest first; days without a click are absent")
