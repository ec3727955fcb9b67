"""The social accounts API's response models (never a token)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from lily.social.constraints import MediaInfo, Platform, PlatformRules, Violation

if TYPE_CHECKING:
    from lily.social.models import SocialConnection


class PlatformsOut(BaseModel):
    platforms: list[PlatformRules] = Field(description="Each platform's content rules")


class ConnectionView(BaseModel):
    """What a client sees of a connection (never its tokens): read straight off the model's attributes."""

    model_config = ConfigDict(from_attributes=True)

    connection_id: str
    platform: str
    account_id: str
    account_kind: str
    account_name: str
    handle: str | None = None
    avatar_url: str | None = None
    scopes: list[str] = Field(default_factory=list)
    status: str
    status_reason: str | None = None
    created_by: str
    created_at: datetime
    last_used_at: datetime | None = None
    last_checked_at: datetime | None = None

    @classmethod
    def of(cls, c: SocialConnection) -> ConnectionView:
        return cls.model_validate(c)


class ConnectStart(BaseModel):
    platform: str
    authorize_url: str
    redirect_uri: str
    expires_at: datetime


class AccountChoice(BaseModel):
    account_id: str
    kind: str
    name: str
    handle: str | None = None
    avatar_url: str | None = None


class ConnectResult(BaseModel):
    status: str = Field(description="connected | select_account")
    platform: str
    org_id: str
    connections: list[ConnectionView] = Field(default_factory=list)
    selection_id: str | None = None
    accounts: list[AccountChoice] = Field(default_factory=list)
    selection_expires_at: datetime | None = None


class NoticeView(BaseModel):
    notice_id: str
    kind: str
    connection_id: str
    platform: str
    account_name: str | None = None
    reason: str | None = None
    created_at: datetime


# Pages of the list routes (lily.core.pages): at most ``limit`` items, ``next_cursor`` None on the last page.
class ConnectionPage(BaseModel):
    items: list[ConnectionView]
    next_cursor: str | None = None


class NoticePage(BaseModel):
    items: list[NoticeView]
    next_cursor: str | None = None


# --- Request and answer models of functions/social ---


class ConnectRequest(BaseModel):
    redirect_uri: str | None = Field(None, description="Must equal the registered callback exactly when given")


class CompleteRequest(BaseModel):
    code: str = Field(min_length=1, max_length=2048)
    state: str = Field(min_length=1, max_length=512)
    redirect_uri: str | None = None


class SelectRequest(BaseModel):
    account_ids: list[str] = Field(min_length=1, max_length=50)


class ValidateRequest(BaseModel):
    platform: Platform
    text: str = Field("", max_length=100000)
    media: list[MediaInfo] = Field(default_factory=list, max_length=50)


class ValidateResult(BaseModel):
    platform: str
    valid: bool
    length: int
    violations: list[Violation]


# --- Answers of functions/social_webhook (inbound platform webhooks) ---


class InboundAck(BaseModel):
    """What Lily did with one webhook delivery: its events queued for the inbox, already seen, too old or of a kind
    Lily does not keep (the platform only needs the 2xx)."""

    received: bool = True
    accepted: int = 0
    duplicate: int = 0
    stale: int = 0
    ignored: int = 0


class XCrcAnswer(BaseModel):
    response_token: str = Field(description='"sha256=" + base64 HMAC-SHA256 of crc_token with the consumer secret')


class LinkedInChallengeAnswer(BaseModel):
    challengeCode: str  # noqa: N815 - LinkedIn's field names
    challengeResponse: str  # noqa: N815


InboxStatus = Literal["open", "replied", "closed"]


class InboxReplyView(BaseModel):
    state: str = Field(description="queued | sending | sent | failed")
    text: str
    by: str | None = None
    platform_id: str | None = Field(None, description="The reply's id at the platform, once sent")
    url: str | None = None
    error: dict | None = Field(None, description="code, kind, message of the last failure")
    attempts: int = 0
    replied_at: datetime | None = None


class InboxItemView(BaseModel):
    item_id: str
    platform: str
    connection_id: str
    kind: str = Field(description="comment | mention | reply")
    author_id: str | None = None
    author_name: str | None = None
    text: str
    post_id: str | None = Field(None, description="The platform's id of the post it belongs to, when known")
    platform_item_id: str = Field(description="The comment's or post's id at the platform")
    sentiment: str = Field(description="positive | negative | neutral (docs/inbox.md)")
    read: bool
    assignee_id: str | None = None
    status: InboxStatus
    occurred_at: datetime
    created_at: datetime
    updated_at: datetime
    reply: InboxReplyView | None = None


class InboxPage(BaseModel):
    items: list[InboxItemView]
    next_cursor: str | None = None


class InboxUpdate(BaseModel):
    """Fields to change; those left out stay. ``assignee_id: null`` unassigns."""

    model_config = ConfigDict(extra="forbid")

    read: bool | None = None
    status: InboxStatus | None = None
    assignee_id: str | None = Field(None, min_length=1, max_length=64, description="A member of the organization")


class InboxReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=3000)


class InboxSuggestion(BaseModel):
    text: str = Field(description="A reply in the brand voice; nothing is posted until you send it")
