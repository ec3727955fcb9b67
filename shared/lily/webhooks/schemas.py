"""The webhooks API's models (a secret appears only in :class:`WebhookCreated`, once)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

DeliveryStatus = Literal["pending", "retrying", "delivered", "failed", "skipped"]


class WebhookIn(BaseModel):
    url: str = Field(min_length=8, max_length=2048, description="Where deliveries are POSTed: https:// (http:// only "
                                                               "in local mode)")
    events: list[str] = Field(min_length=1, max_length=50, description="Event types (GET .../webhooks/event-types)")
    description: str | None = Field(None, max_length=200)
    enabled: bool = True


class WebhookUpdate(BaseModel):
    url: str | None = Field(None, min_length=8, max_length=2048)
    events: list[str] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = Field(None, description="true re-enables a subscription Lily disabled after failures")


class WebhookOut(BaseModel):
    subscription_id: str
    url: str
    events: list[str]
    description: str | None = None
    enabled: bool
    secret_hint: str = Field(description="The last four characters of the signing secret")
    failing_since: datetime | None = Field(None, description="First failed attempt since the last success")
    last_success_at: datetime | None = None
    disabled_at: datetime | None = None
    disabled_reason: str | None = Field(None, description="Why Lily disabled it (the notice), when it did")
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret (whsec_...): shown this once, store it now")


class WebhookPage(BaseModel):
    items: list[WebhookOut]
    next_cursor: str | None = None


class EventTypeOut(BaseModel):
    type: str
    description: str


class EventTypesOut(BaseModel):
    version: int = Field(description="The envelope version deliveries carry (its `v`)")
    items: list[EventTypeOut]


class DeliveryAttemptOut(BaseModel):
    at: datetime
    round: int
    attempt: int
    outcome: str = Field(description="delivered | failed (an error answer, a time-out, a refused target)")
    status_code: int | None = None
    latency_ms: int | None = None
    response: str | None = Field(None, description="The receiver's answer, truncated")
    error: str | None = None


class DeliveryOut(BaseModel):
    delivery_id: str
    subscription_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    round: int
    attempts: int
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_latency_ms: int | None = None
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None


class DeliveryDetail(DeliveryOut):
    body: str = Field(description="The envelope exactly as delivered")
    log: list[DeliveryAttemptOut] = Field(description="Every attempt (the newest ones kept), oldest first")


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = None


class ReplayIn(BaseModel):
    since: datetime = Field(description="Send again every delivery of events at or after this instant")


class ReplayOut(BaseModel):
    replayed: int = Field(description="Deliveries queued again")
    truncated: bool = Field(description="True when more deliveries matched than one replay sends (replay_max)")
