"""Request and response models of the posts and media API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from lily.publishing.models import POST_STATUSES, TARGET_STATES

# the post's models (commands and views) live in lily.publishing.post_schemas, which the workers import alone
from lily.publishing.post_schemas import _ID as _ID
from lily.publishing.post_schemas import CancelOut as CancelOut
from lily.publishing.post_schemas import ContentType as ContentType
from lily.publishing.post_schemas import EnqueueOut as EnqueueOut
from lily.publishing.post_schemas import ErrorOut as ErrorOut
from lily.publishing.post_schemas import FeedPollOut as FeedPollOut
from lily.publishing.post_schemas import FirstCommentOut as FirstCommentOut
from lily.publishing.post_schemas import MediaId as MediaId
from lily.publishing.post_schemas import Platform as Platform
from lily.publishing.post_schemas import PostCreate as PostCreate
from lily.publishing.post_schemas import PostOut as PostOut
from lily.publishing.post_schemas import PostPage as PostPage
from lily.publishing.post_schemas import PostUpdate as PostUpdate
from lily.publishing.post_schemas import ScheduleIn as ScheduleIn
from lily.publishing.post_schemas import TargetIn as TargetIn
from lily.publishing.post_schemas import TargetOut as TargetOut


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
    generated: bool = Field(False, description="An image Lily's image pipeline generated (never an upload)")
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


class SuggestedSlot(SlotIn):
    rank: int = Field(description="1 = the platform's best (weekday, hour) by the org's own engagement")
    in_queue: bool = Field(description="The queue already has this slot")


class PlatformSuggestion(BaseModel):
    platform: str
    status: Literal["ok", "insufficient_history"]
    message: str | None = Field(None, description="Why there is no suggestion (too little history: Lily does "
                                "not guess)")
    slots: list[SuggestedSlot] = Field(default_factory=list, description="Best first, in the org's time zone")


class SuggestedSlots(BaseModel):
    queue_id: str
    timezone: str = Field(description="The org's IANA time zone the slots are in")
    platforms: list[PlatformSuggestion] = Field(description="One per platform of the queue's connections")


class EnqueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue_id: str = Field(pattern=_ID)


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


# ---------------------------------------------------------------- automation (issue 24): recurring posts,
# evergreen pools, feeds that post themselves, bulk import

_CONNS = Field(min_length=1, max_length=10, description="Connections every post goes to")


class RecurringIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    text: str = Field(min_length=1, max_length=70000)
    media_ids: list[MediaId] = Field(default_factory=list, max_length=10)
    first_comment: str | None = Field(None, max_length=10000)
    connection_ids: list[Annotated[str, Field(pattern=_ID)]] = _CONNS
    cron: str | None = Field(None, max_length=120, description="Five-field cron, in the org's time zone "
                             "(`0 9 * * 1-5`: weekdays at 09:00)")
    rrule: str | None = Field(None, max_length=500, description="RFC 5545 RRULE, in the org's time zone "
                              "(`FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=9;BYMINUTE=0`)")
    starts_at: datetime | None = Field(None, description="First possible occurrence (now when absent); "
                                       "without an offset it is read in the org's zone")
    until: datetime | None = Field(None, description="No occurrence after this")
    count: int | None = Field(None, ge=1, le=1000, description="At most this many occurrences")


class RecurringOut(BaseModel):
    rule_id: str
    name: str
    text: str
    media_ids: list[str]
    first_comment: str | None
    connection_ids: list[str]
    cron: str | None
    rrule: str | None
    timezone: str
    starts_at: datetime
    until: datetime | None
    count: int | None
    created_count: int = Field(description="Occurrences created so far (each a scheduled post)")
    status: Literal["active", "paused", "ended"]
    next_at: datetime | None = Field(description="The next occurrence not created yet")
    upcoming: list[str] = Field(description="The next occurrences (local ISO), at most five")
    last_error: dict | None = None


class RecurringList(BaseModel):
    items: list[RecurringOut]
    next_cursor: str | None = None


class EvergreenItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=70000)
    media_ids: list[MediaId] = Field(default_factory=list, max_length=10)
    first_comment: str | None = Field(None, max_length=10000)


class EvergreenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    connection_ids: list[Annotated[str, Field(pattern=_ID)]] = _CONNS
    posts: list[EvergreenItemIn] = Field(min_length=1, max_length=100, description="The texts the pool recycles")
    interval_hours: int = Field(24, ge=1, le=24 * 30, description="One post of the pool every this many hours")
    min_gap_days: int = Field(30, ge=1, le=365, description="An item goes out again at the earliest this long "
                              "after its last time")
    max_cycles: int | None = Field(None, ge=1, le=100, description="Times each item goes out at most; then the "
                                   "pool is exhausted")
    starts_at: datetime | None = Field(None, description="The first post (now + the interval when absent)")
    on_duplicate: Literal["skip", "vary"] = Field(
        "skip", description="A text already sent to an account of a platform that refuses identical posts (X) is "
        "never sent there again: skip that account for the item, or vary: reword it through the AI (one unit of "
        "the AI quota per rewording; skipped when the rewording is refused or still repeats)")


class EvergreenItemOut(BaseModel):
    item_id: str
    text: str
    media_ids: list[str]
    first_comment: str | None
    last_at: datetime | None
    times: int


class EvergreenOut(BaseModel):
    pool_id: str
    name: str
    connection_ids: list[str]
    posts: list[EvergreenItemOut]
    interval_hours: int
    min_gap_days: int
    max_cycles: int | None
    on_duplicate: str
    status: Literal["active", "paused", "exhausted"]
    next_at: datetime | None
    last_error: dict | None = None


class EvergreenList(BaseModel):
    items: list[EvergreenOut]
    next_cursor: str | None = None


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2048, description="RSS or Atom, http(s), public address")
    connection_ids: list[Annotated[str, Field(pattern=_ID)]] = _CONNS
    template: str = Field("{title} {link}", min_length=1, max_length=5000,
                          description="Post text; placeholders {title}, {link}, {summary}")
    include: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="Post only items whose title or summary holds one")
    exclude: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="Never post items whose title or summary holds one")
    mode: Literal["draft", "queue", "approval"] = Field(
        "draft", description="Each new item becomes a draft, a post in `queue_id`'s next free slot, or a post "
        "waiting for approval (published only when approved)")
    queue_id: str | None = Field(None, pattern=_ID, description="mode queue: the queue")
    approval_lead_minutes: int = Field(60, ge=5, le=7 * 24 * 60, description="mode approval: the post is asked "
                                       "for this long after the item is read (an approver may give another time)")
    cadence_minutes: int = Field(60, ge=1, le=7 * 24 * 60, description="How often the feed is read")
    daily_cap: int = Field(5, ge=1, le=100, description="Items made into posts per day (the org's zone) at most")
    backfill: int = Field(0, ge=0, le=10, description="Of the items the feed holds when added, how many of the "
                          "newest to post; the others are marked seen")


class FeedOut(BaseModel):
    feed_id: str
    url: str
    connection_ids: list[str]
    template: str
    include: list[str]
    exclude: list[str]
    mode: str
    queue_id: str | None
    approval_lead_minutes: int | None = None
    cadence_minutes: int
    daily_cap: int
    status: Literal["active", "paused"]
    next_at: datetime | None
    last_polled_at: datetime | None
    created_total: int
    last_error: dict | None = None


class FeedList(BaseModel):
    items: list[FeedOut]
    next_cursor: str | None = None


class ImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "json"]
    content: str = Field(min_length=1, description="The file's text: CSV with a header row, or a JSON array of "
                         "objects. Columns: connection_id, at (ISO 8601, or `queue`), queue_id, text, media_urls "
                         "(space separated), first_comment")
    filename: str | None = Field(None, max_length=255)
    all_or_nothing: bool = Field(False, description="Create nothing when a row is invalid")


class ImportRowError(BaseModel):
    row: int
    problems: list[dict]


class ImportOut(BaseModel):
    import_id: str
    status: Literal["processing", "done", "rejected"]
    replayed: bool = Field(False, description="The same file was uploaded before: this is that import")
    total: int
    valid: int
    invalid: int
    processed: int
    created: int
    failed: int
    errors: list[ImportRowError] = Field(description="Rows refused at validation, each with its problems")
    row_failures: list[ImportRowError] = Field(default_factory=list,
                                               description="Valid rows that failed when created (media fetch, quota)")


class UtmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    utm_source: str | None = Field(None, max_length=100)
    utm_medium: str | None = Field(None, max_length=100)
    utm_campaign: str | None = Field(None, max_length=100)


class LinkSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    utm: dict[Literal["default", "x", "facebook", "instagram", "linkedin"], UtmIn] = Field(
        default_factory=dict, description="UTM defaults: `default`, then per platform (a platform's value wins)")
    redirect_status: Literal[301, 302] = Field(302, description="301 (permanent, cached by browsers: later clicks "
                                               "may not be counted) or 302")


class LinkSettingsOut(LinkSettingsIn):
    short_base_url: str = Field(description="Where short links live (the deployment's custom short domain)")


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2048, description="http(s) URL to shorten")
    platform: Platform | None = None
    campaign: str | None = Field(None, max_length=100, description="utm_campaign for this link")


class LinkOut(BaseModel):
    code: str
    short_url: str
    url: str = Field(description="The target, with its UTM parameters")
    redirect_status: int
    clicks: int = 0


class LinkDay(BaseModel):
    day: str
    clicks: int
    visitors: int


class LinkStats(LinkOut):
    days: list[LinkDay]


class ShortenTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=70000)
    platform: Platform | None = None
    campaign: str | None = Field(None, max_length=100)


class ShortenTextOut(BaseModel):
    text: str
    links: list[LinkOut]
