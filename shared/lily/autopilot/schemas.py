"""Autopilot API models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lily.core.fields import NotABool

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Annotated[int, Field(ge=0, le=23), NotABool] = Field(description="Local hour quiet time starts")
    end: Annotated[int, Field(ge=0, le=23), NotABool] = Field(
        description="Local hour it ends (exclusive); may wrap past midnight")

    def covers(self, hour: int) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, strict=True)
    connection_ids: list[str] = Field(default_factory=list, max_length=25,
                                      description="Connections autopilot posts to; empty: every active one")
    posts_per_day: Annotated[int, Field(ge=1, le=50), NotABool] = Field(
        1, description="Posts autopilot makes per day (the plan's posts_per_day still caps what is scheduled)")
    topics: list[str] = Field(default_factory=list, max_length=20)
    days: list[Weekday] = Field(default_factory=list, description="Days autopilot posts; empty: every day")
    quiet_hours: QuietHours | None = None
    approval_required: bool = Field(False, strict=True, description="Everything autopilot makes waits for approval "
                                                       "(GET .../approvals), whatever the org's policy")
    monthly_budget_usd: float = Field(
        0, ge=0, le=100000, strict=True,
        description="AI spend autopilot may reach per UTC month (0: autopilot makes nothing that costs)")
    campaign_days: Annotated[int, Field(ge=2, le=30), NotABool] = Field(
        5, description="Length of a campaign (full level)")
    images: bool = Field(False, strict=True, description="Each post gets a generated image (the plan's "
                         "image_generations per month and the budget allowing; a post never waits on a failed one)")
    expected_version: Annotated[int, Field(ge=0), NotABool] | None = None

    @field_validator("topics")
    @classmethod
    def _topics(cls, v: list[str]) -> list[str]:
        out = [t.strip() for t in v]
        if any(len(t) < 3 or len(t) > 200 for t in out):
            raise ValueError("each topic has 3 to 200 characters")
        return out


class SettingsOut(BaseModel):
    org_id: str
    enabled: bool
    connection_ids: list[str]
    posts_per_day: int
    topics: list[str]
    days: list[str]
    quiet_hours: QuietHours | None = None
    approval_required: bool
    monthly_budget_usd: float
    campaign_days: int
    images: bool = False
    next_run: datetime | None = None
    level: str = Field(description="The plan's autopilot level: none, basic, enhanced or full")
    upgrade_to: str | None = Field(None, description="The plan that lifts the level, when it is none")
    version: int


class RunOut(BaseModel):
    run_id: str
    org_id: str
    trigger: Literal["schedule", "manual"]
    status: Literal["queued", "running", "done", "stopped", "refused", "failed"]
    level: str | None = None
    plan_id: str | None = None
    day: str | None = None
    read: dict[str, Any] | None = None
    made: list[dict[str, Any]] = Field(default_factory=list)
    spent: dict[str, Any] | None = None
    stopped: dict[str, Any] | None = Field(None, description="Why it stopped: the limit, and the plan that lifts it")
    log: list[dict[str, Any]] = Field(default_factory=list)
    created_at: datetime
    finished_at: datetime | None = None


class RunPage(BaseModel):
    items: list[RunOut]
    next_cursor: str | None = None


class NoticeOut(BaseModel):
    notice_id: str
    run_id: str | None = None
    reason: str
    message: str
    upgrade_to: str | None = None
    details: dict[str, Any] | None = None
    created_at: datetime


class AutopilotNoticePage(BaseModel):
    items: list[NoticeOut]
    next_cursor: str | None = None


class WeeklyReportOut(BaseModel):
    org_id: str
    week: str = Field(description="The Monday the week starts (UTC)")
    published: int
    impressions: int
    engagements: int
    engagement_rate: float | None = Field(None, description="engagements / impressions over posts with impressions")
    by_platform: dict[str, int]
    top_posts: list[dict[str, Any]]
    autopilot: dict[str, Any] = Field(description="What autopilot did this week and plans next")
    created_at: datetime


class AutopilotReportPage(BaseModel):
    items: list[WeeklyReportOut]
    next_cursor: str | None = None
