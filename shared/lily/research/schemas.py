"""API models of research: configs, jobs, reports, insights and memory search."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lily.core.fields import NOT_BLANK, URL, NotABool
from lily.research.cadence import DAYS as DAYS  # the schedule imports these alone
from lily.research.cadence import Cadence as Cadence
from lily.research.cadence import Day as Day

JobStatus = Literal["queued", "running", "done", "failed", "refused"]
Entry = Annotated[str, Field(min_length=1, max_length=120, pattern=NOT_BLANK)]  # a topic or a competitor: not blank
FeedUrl = Annotated[str, Field(max_length=2000, pattern=URL)]
# uniqueItems compares exactly; Lily also refuses entries equal but for case or surrounding spaces.
UNIQUE = {"uniqueItems": True}
NO_DUPLICATES = " Entries are unique, ignoring case and surrounding spaces."


def _distinct(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values]
    if any(not v for v in cleaned):
        raise ValueError("blank entries are not allowed")
    if len({v.lower() for v in cleaned}) != len(cleaned):
        raise ValueError("an entry appears twice")
    return cleaned


class ConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    industry: str = Field(min_length=2, max_length=120)
    topics: list[Entry] = Field(default_factory=list, max_length=20, json_schema_extra=UNIQUE,
                                description="Topics to watch." + NO_DUPLICATES)
    competitors: list[Entry] = Field(
        default_factory=list, max_length=20, json_schema_extra=UNIQUE,
        description="Competitors' public handles (e.g. @acme); kept as context for the synthesis." + NO_DUPLICATES)
    feeds: list[FeedUrl] = Field(default_factory=list, max_length=20, json_schema_extra=UNIQUE,
                                 description="RSS or Atom feed URLs (https)." + NO_DUPLICATES)
    cadence: Cadence = Field(default_factory=Cadence)
    enabled: bool = True

    @field_validator("topics", "competitors", "feeds")
    @classmethod
    def _clean(cls, v: list[str]) -> list[str]:
        return _distinct(v)


class ConfigPut(ConfigIn):
    expected_version: Annotated[int, Field(ge=1), NotABool] = Field(
        description="The version read; a stale one answers 409")


class ConfigOut(BaseModel):
    config_id: str
    name: str
    industry: str
    topics: list[str]
    competitors: list[str]
    feeds: list[str]
    cadence: Cadence
    enabled: bool
    next_run_at: datetime | None = Field(None, description="The next scheduled run (enabled configs)")
    last_job_id: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int


class ConfigPage(BaseModel):
    items: list[ConfigOut]
    next_cursor: str | None = None


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config_id: str = Field(pattern=r"^rcf_[0-9a-z]{26}$")


class JobOut(BaseModel):
    job_id: str
    config_id: str
    trigger: Literal["manual", "schedule"]
    status: JobStatus
    stage: str
    progress: int = Field(ge=0, le=100)
    counts: dict[str, int] = Field(default_factory=dict)
    tokens: int = 0
    confidence: float | None = None
    duration_ms: int | None = None
    report_id: str | None = None
    error: dict | None = Field(None, description="Why the run failed or was refused (code, message, details)")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class JobPage(BaseModel):
    items: list[JobOut]
    next_cursor: str | None = None


class Evidence(BaseModel):
    item_id: str
    url: str | None = None
    title: str
    source: Literal["feed", "own_post"]
    score: float = Field(description="Cosine similarity to the theme")


class InsightOut(BaseModel):
    insight_id: str
    report_id: str
    title: str
    summary: str
    evidence: list[Evidence]
    suggested_topics: list[str]
    confidence: float = Field(ge=0, le=1)
    low_confidence: bool = Field(description="Confidence below 0.7: treat as a lead, not a finding")
    created_at: datetime


class ReportOut(BaseModel):
    report_id: str
    job_id: str
    config_id: str
    industry: str
    summary: str
    confidence: float = Field(ge=0, le=1)
    low_confidence: bool
    insights: list[InsightOut]
    suggested_topics: list[str]
    counts: dict[str, int]
    model: str | None = None
    created_at: datetime


class ReportSummary(BaseModel):
    report_id: str
    job_id: str
    config_id: str
    industry: str
    confidence: float
    low_confidence: bool
    insights: int
    created_at: datetime


class ReportPage(BaseModel):
    items: list[ReportSummary]
    next_cursor: str | None = None


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=2, max_length=500)
    k: int = Field(10, ge=1, le=50)
    min_score: float | None = Field(None, ge=-1, le=1, description=(
        "Cosine similarity floor; default: the deployment embedding model's calibrated floor (docs/research.md)"))
    industry: str | None = Field(None, max_length=120)


class SearchHit(BaseModel):
    item_id: str
    score: float
    source: str
    title: str
    url: str | None = None
    text: str


class SearchOut(BaseModel):
    items: list[SearchHit]
    model: str
    dimension: int
