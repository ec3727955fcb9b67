"""Outbound webhook settings (env ``LILY_WEBHOOKS_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from lily.core.config import BaseSettings, load, on_reset, settings_config


class WebhookSettings(BaseSettings):
    model_config = settings_config("LILY_WEBHOOKS_")

    https_only: bool = Field(True, description="Refuse http:// targets (local mode sets false)")
    allowed_private: list[str] = Field(
        [], description="host:port pairs a delivery may reach although they are not public "
                                          "(local mode: its own gateway, for /_local/webhook-sink); JSON list")
    timeout_s: float = Field(10.0, gt=0, le=30, description="Total time limit of one delivery (connect to last byte)")
    max_response_bytes: int = Field(65536, ge=1024, description="At most this much of a receiver's answer is read")
    stored_body_chars: int = Field(1024, ge=0, le=8192, description="A receiver's answer is stored truncated to this")
    backoff_base_s: float = Field(30.0, gt=0, description="Delay after the first failed attempt; doubles each time")
    backoff_cap_s: float = Field(3600.0, gt=0, description="Longest delay between two attempts")
    retry_window_s: int = Field(86400, ge=60, description="Attempts go on this long after the first, then the DLQ")
    disable_after_s: int = Field(3 * 86400, ge=60, description="A subscription failing this long is disabled")
    max_per_org: int = Field(20, ge=1, le=100, description="Subscriptions per organization")
    replay_max: int = Field(1000, ge=1, le=10000, description="Deliveries one replay may send again")
    kept_days: int = Field(30, ge=1, le=365, description="Delivery records expire after this many days (TTL)")
    attempts_kept: int = Field(50, ge=1, le=200, description="Attempts kept in a delivery's log (the newest)")


@lru_cache(maxsize=1)
def webhook_settings() -> WebhookSettings:
    return load(WebhookSettings)


on_reset(webhook_settings.cache_clear)
