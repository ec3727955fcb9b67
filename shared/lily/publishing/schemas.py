"""Request and response models of the posts and media API."""

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


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255)
    content_type: ContentType = Field(description="Each platform takes its own types (GET /api/social/platforms; "
                                                  "Instagram takes no GIF): a type one of `platforms` refuses "
                                                  "answers 422")
    size: int = Field(ge=1, description="Bytes; over the smallest limit of `platforms` for this kind of media "
                                        "answers 413")
    platforms: list[Platform] = Field(default_factory=list, max_length=4,
                                      description="Where it will be published (limits apply); none: every platform")


class MediaPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alt_text: str | None = Field(description="What the image shows, for people who cannot see it (X takes up to "
                                             "1000 characters); null removes it", max_length=1000)


class UploadOut(BaseModel):
    media_id: str
    method: str = "POST"
    url: str
    fields: dict[str, str]
    max_size: int
    expires_at: datetime


class MediaOut(BaseModel):
    media_id: str
    content_type: str
    size: int
    filename: str | None = None
    alt_text: str | None = Field(None, description="Alt text passed to the platforms that take it (generated images)")
    created_at: datetime
    download_url: str | None = Field(None, description="A short-lived presigned GET of the bytes (previews); "
                                                       "fetch it before download_expires_at")
    download_expires_at: datetime | None = None


class DlqDepthOut(BaseModel):
    queue: str = Field(description="The publish DLQ's name")
    approximate_messages: int


class RequeueOut(BaseModel):
    examined: int
    requeued: list[str]
    dropped: list[dict]
    kept: int


# ---------------------------------------------------------------- queues and the calendar

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class SlotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekday: Weekday
    time: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="Wall time HH:MM in the org's zone")


class QueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    connection_ids: list[Annotated[str, Field(pattern=_ID)]] = Field(min_length=1, max_length=10)
    slots: list[SlotIn] = Field(min_length=1, max_length=100, description="Weekly slots in the org's time zone")
    move_up_on_remove: bool = Field(True, description="Removing a post moves the later ones up one slot")


class QueueUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=120)
    slots: list[SlotIn] | None = Field(None, min_length=1, max_length=100,
                                       description="New slots apply to posts queued from now on")
    move_up_on_remove: bool | None = None


class QueueEntryOut(BaseModel):
    post_id: str
    at: datetime = Field(description="The slot's instant (UTC)")
    local: str = Field(description="The slot in the org's time zone (ISO 8601 with offset)")


class QueueOut(BaseModel):
    queue_id: str
    name: str
    connection_ids: list[str]
    slots: list[SlotIn]
    paused: bool
    move_up_on_remove: bool
    timezone: str
    entries: list[QueueEntryOut] = Field(default_factory=list, description="Posts waiting, in slot order "
                                         "(while paused: held, in order)")


class QueueList(BaseModel):
    items: list[QueueOut]
    next_cursor: str | None = None


class EnqueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue_id: str = Field(pattern=_ID)


class EnqueueOut(BaseModel):
    queue_id: str
    at: datetime = Field(description="The slot the post took (UTC)")
    local: str
    post: PostOut


class ReorderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post_ids: list[Annotated[str, Field(pattern=_ID)]] = Field(
        min_length=1, max_length=50, description="Every waiting post of the queue, in the new order")


class CalendarTarget(BaseModel):
    target_id: str
    platform: Platform
    connection_id: str
    state: Literal[TARGET_STATES]


class CalendarPost(BaseModel):
    post_id: str
    status: Literal[POST_STATUSES]
    scheduled_at: datetime
    local: str = Field(description="Scheduled instant in the org's time zone")
    text: str = Field(description="The first 140 characters")
    queue_id: str | None = None
    targets: list[CalendarTarget]


class CalendarDay(BaseModel):
    date: str = Field(description="YYYY-MM-DD in the org's time zone")
    posts: list[CalendarPost]


class CalendarOut(BaseModel):
    timezone: str
    view: Literal["day", "week", "month"]
    start: str = Field(description="First day (YYYY-MM-DD, org's zone)")
    end: str = Field(description="Last day, inclusive")
    clamped: bool = Field(False, description="The period asked for was longer than allowed and was cut")
    truncated: bool = Field(False, description="More posts than one answer holds: ask a shorter period")
    days: list[CalendarDay]
