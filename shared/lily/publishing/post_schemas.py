"""The post's models: the commands that make and change a post (:class:`PostCreate`, :class:`PostUpdate`,
:class:`ScheduleIn`) and its views (:class:`PostOut`). The posts API answers with them, and the workers that make
posts (imports, automation, autopilot) use them on their main path.

Their own module so that those workers build these models and not the rest of publishing's API (queues, calendar,
rules, feeds, links, media): :mod:`lily.publishing.schemas` re-exports them as part of that API. The answers of the
automation's steps that the workers take too (a post placed in a queue, a feed polled) are here for the same reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lily.publishing.models import POST_STATUSES, TARGET_STATES

_ID = r"^[A-Za-z0-9_\-:.]{1,128}$"
MediaId = Annotated[str, Field(pattern=_ID)]
Platform = Literal["x", "facebook", "instagram", "linkedin"]
# The media types lily.publishing.media accepts (a test pins it).
ContentType = Literal["image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4", "video/quicktime"]


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connection_id: str = Field(pattern=_ID)
    text: str | None = Field(None, max_length=70000, description="Overrides the post's text on this target")
    media_ids: list[MediaId] | None = Field(None, max_length=10, description="Overrides the post's media")
    first_comment: str | None = Field(None, max_length=10000, description="Overrides the post's first comment")


class PostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field("", max_length=70000)
    media_ids: list[MediaId] = Field(default_factory=list, max_length=10)
    first_comment: str | None = Field(None, max_length=10000)
    targets: list[TargetIn] = Field(default_factory=list, max_length=10,
                                    description="Each connection at most once")


class PostUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, max_length=70000)
    media_ids: list[MediaId] | None = Field(None, max_length=10)
    first_comment: str | None = Field(None, max_length=10000)
    targets: list[TargetIn] | None = Field(None, max_length=10,
                                           description="Replaces every target; each connection at most once")


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheduled_at: datetime = Field(description="ISO 8601; without an offset it is read in `timezone`")
    timezone: str = Field("UTC", max_length=64, description="IANA time zone, e.g. Europe/Paris")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    def instant(self) -> datetime:
        at = self.scheduled_at
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo(self.timezone))
        return at


class ErrorOut(BaseModel):
    code: str
    kind: str
    message: str
    platform_status: int | None = None
    platform_code: str | None = None
    at: str | None = None


class FirstCommentOut(BaseModel):
    state: Literal["queued", "sending", "sent", "failed"]
    attempts: int = 0
    platform_comment_id: str | None = None
    url: str | None = None
    posted_at: datetime | None = None
    error: dict | None = Field(None, description="code, kind, message, at of the last failure")


class TargetOut(BaseModel):
    target_id: str
    connection_id: str
    platform: Platform
    state: Literal[TARGET_STATES]
    text: str | None = None
    media_ids: list[str] | None = None
    first_comment: str | None = None
    scheduled_at: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: ErrorOut | None = None
    platform_post_id: str | None = None
    platform_url: str | None = None
    queued_at: datetime | None = None
    published_at: datetime | None = None
    failed_at: datetime | None = None
    first_comment_status: FirstCommentOut | None = Field(
        None, description="The first comment, once the post is published: posted after it, with its own retries; "
                          "the post stays published when it fails")


class PostOut(BaseModel):
    post_id: str
    org_id: str
    text: str
    media_ids: list[str]
    first_comment: str | None = None
    status: Literal[POST_STATUSES]
    platforms: list[Platform] = Field(default_factory=list)
    scheduled_at: datetime | None = None
    timezone: str | None = None
    created_by: str | None = None
    approval: Literal["required", "pending", "approved", "rejected", "changes_requested"] | None = Field(
        None, description="None: no approval needed; otherwise the post publishes only once approved "
                          "(GET /api/orgs/{org_id}/approvals)")
    approval_at: datetime | None = Field(None, description="The instant asked for, while approval is pending")
    created_at: datetime
    updated_at: datetime
    version: int
    targets: list[TargetOut] = Field(default_factory=list)


class PostPage(BaseModel):
    items: list[PostOut]
    next_cursor: str | None = None


class CancelOut(BaseModel):
    post: PostOut
    cancelled: list[str] = Field(description="Targets moved back to draft")
    not_cancelled: list[str] = Field(description="Targets already publishing or done")


class EnqueueOut(BaseModel):
    """A post placed in a posting queue: the slot it took (the automation workers place posts too)."""

    queue_id: str
    at: datetime = Field(description="The slot the post took (UTC)")
    local: str
    post: PostOut


class FeedPollOut(BaseModel):
    feed_id: str
    entries: int = Field(description="Entries the feed held")
    created: list[str] = Field(description="Posts made from new items")
    seen: int = Field(description="Entries already seen (by GUID or link), not posted again")
    filtered: int
    capped: int = Field(description="New entries left for a later day by the daily cap")
    refused: dict | None = Field(None, description="Why the fetch was refused or failed")
