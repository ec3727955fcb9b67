"""Publishing settings (env ``LILY_PUBLISHING_*``), validated at cold start."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator

from lily.core.config import BaseSettings, load, on_reset, settings_config
from lily.core.schema import Schema


class PacingRule(Schema):
    """At most ``limit`` posts per ``window_s`` (sliding), per account or per platform app-wide."""

    scope: str = Field("account", pattern=r"^(account|app)$")
    limit: int = Field(ge=1)
    window_s: float = Field(gt=0)
    burst: int = Field(1, ge=1, description="Posts allowed back to back before spacing applies")


# Defaults from the platforms' documented limits (https://docs.x.com/x-api/fundamentals/rate-limits,
# https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit):
# X 100 posts / 15 min per user and 10,000 / 24 h per app;
# Instagram 50 API posts / 24 h per account (read content_publishing_limit in production);
# LinkedIn publishes no limit (1 request / s client side); Facebook Pages: BUC limits, paced conservatively.
DEFAULT_PACING: dict[str, list[dict]] = {
    "x": [{"scope": "account", "limit": 100, "window_s": 900, "burst": 5},
          {"scope": "app", "limit": 10000, "window_s": 86400, "burst": 500}],
    "instagram": [{"scope": "account", "limit": 50, "window_s": 86400, "burst": 5}],
    "facebook": [{"scope": "account", "limit": 200, "window_s": 3600, "burst": 5}],
    "linkedin": [{"scope": "account", "limit": 150, "window_s": 86400, "burst": 5},
                 {"scope": "app", "limit": 3600, "window_s": 3600, "burst": 5}],
}


class PublishingSettings(BaseSettings):
    model_config = settings_config("LILY_PUBLISHING_")

    queue: str = Field("publish", description="Queue the dispatcher feeds and the publisher consumes")
    max_attempts: int = Field(5, ge=1, le=20, description="Platform calls per target before it fails")
    backoff_base_s: float = Field(2.0, gt=0, description="First retry delay (exponential, full jitter)")
    backoff_cap_s: float = Field(900.0, gt=0, description="Longest retry delay")
    reconcile_delay_s: float = Field(30.0, ge=0, description="After a timeout that may have posted, wait this long "
                                     "(the request may still be in flight) before looking the post up")
    lease_s: float = Field(120.0, gt=0, description="How long a publishing claim blocks others (> function timeout)")
    call_budget_s: float = Field(60.0, gt=0, description="The longest one platform call can take (its HTTP "
                                 "timeouts, uploads included): the platform is called only while at least this much "
                                 "of the claim's lease is left, so a takeover can never overlap a call")
    due_shards: int = Field(8, ge=1, le=64, description="Partitions of the due index (fixed once deployed)")
    wait_in_worker_s: float = Field(1.0, ge=0, le=5, description="A wait for the due instant, a breaker or a "
                                    "pacing slot at most this long is slept in the publisher (twice per message at "
                                    "most) instead of a new delayed message (SQS delays are whole seconds and come "
                                    "back behind the queue's backlog); 0: always re-enqueue")
    lookahead_s: int = Field(60, ge=0, le=900, description="Dispatch targets due within this and delay them")
    watchdog_grace_s: int = Field(600, ge=10, description="Re-enqueue a queued/publishing target silent this long")
    max_per_tick: int = Field(5000, ge=1, description="Targets one dispatcher run moves at most")
    breaker_threshold: int = Field(5, ge=1, description="Consecutive failures that open a breaker")
    breaker_open_s: float = Field(300.0, gt=0, description="How long an open breaker rejects calls")
    pacing: dict[str, list[PacingRule]] = Field(
        default_factory=lambda: {k: [PacingRule(**r) for r in v] for k, v in DEFAULT_PACING.items()},
        description="Per-platform pacing rules (JSON)")
    idempotency_ttl_s: int = Field(86400, ge=60, description="How long an Idempotency-Key answer is kept")
    audit_ttl_days: int = Field(90, ge=1, description="How long attempt audit records are kept")
    max_schedule_days: int = Field(365, ge=1, description="Furthest a post can be scheduled")
    slot_gap_s: int = Field(60, ge=0, description="Two posts on one connection closer than this are a conflict")
    queue_lead_s: int = Field(120, ge=0, description="A queue's next slot is at least this far ahead (more than "
                              "the dispatcher's lookahead, so a queued post can still be moved)")
    queue_max_entries: int = Field(50, ge=1, le=50, description="Posts waiting in one queue (a reorder rewrites "
                                   "them in one transaction)")
    queue_search_slots: int = Field(2000, ge=1, description="Slots examined at most to find a free one")
    calendar_max_days: int = Field(42, ge=1, le=366, description="Longest calendar period (longer ones are clamped)")
    calendar_max_posts: int = Field(500, ge=1, description="Posts one calendar answer holds at most")
    upload_url_ttl_s: int = Field(900, ge=60, le=3600, description="Lifetime of a presigned upload")
    media_url_ttl_s: int = Field(3600, ge=60, description="Lifetime of the presigned GET handed to platforms")


    @model_validator(mode="after")
    def _lease_outlasts_a_call(self) -> PublishingSettings:
        if self.call_budget_s >= self.lease_s:
            raise ValueError("LILY_PUBLISHING_CALL_BUDGET_S must be shorter than LILY_PUBLISHING_LEASE_S")
        return self


@lru_cache(maxsize=1)
def publishing_settings() -> PublishingSettings:
    return load(PublishingSettings)


on_reset(publishing_settings.cache_clear)
