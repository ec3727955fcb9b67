"""Settings of the posts Lily makes by itself (env ``LILY_AUTOPOST_*``): recurring rules, evergreen pools, feeds
and bulk imports, validated at cold start."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from lily.core.config import BaseSettings, load, on_reset, settings_config


class AutopostSettings(BaseSettings):
    model_config = settings_config("LILY_AUTOPOST_")

    horizon_h: int = Field(48, ge=1, le=24 * 14, description="Recurring occurrences and evergreen picks are "
                           "created (as scheduled posts) this far ahead, not all at once")
    min_lead_s: int = Field(120, ge=0, description="An occurrence closer than this when its turn comes is missed "
                            "(counted, never posted late in a burst)")
    min_interval_s: int = Field(3600, ge=60, description="Shortest time between two occurrences of a rule")
    max_occurrences: int = Field(1000, ge=1, description="Longest count a recurring rule may have")
    max_per_run: int = Field(500, ge=1, description="Posts one automation run creates at most")
    no_identical_text: list[str] = Field(["x"], description="Platforms refusing a post identical to an earlier "
                                         "one (X: https://help.x.com/en/rules-and-policies/x-automation): an "
                                         "evergreen pool never sends one text twice to such an account")
    feed_min_cadence_minutes: int = Field(15, ge=1, description="Shortest poll interval of a feed")
    feed_max_items: int = Field(50, ge=1, le=500, description="Entries read from one feed poll")
    feed_timeout_s: float = Field(8.0, gt=0, le=30, description="Total time one feed fetch may take")
    feed_max_bytes: int = Field(2_000_000, ge=1024, description="Largest feed body read")
    feed_allowed_private: list[str] = Field(default_factory=list, description="host:port a feed or a medium may "
                                            "be fetched from though private (local mode's sandbox only)")
    import_max_rows: int = Field(1000, ge=1, le=1000, description="Rows one imported file may hold")
    import_max_bytes: int = Field(5_000_000, ge=1024, description="Largest imported file")
    import_chunk_rows: int = Field(25, ge=1, le=100, description="Rows one import queue message carries")
    import_queue: str = Field("imports", description="Queue the import worker consumes")
    media_max_bytes: int = Field(20_000_000, ge=1024, description="Largest medium fetched from an imported URL")
    media_timeout_s: float = Field(20.0, gt=0, le=60, description="Total time one medium fetch may take")


@lru_cache(maxsize=1)
def autopost_settings() -> AutopostSettings:
    return load(AutopostSettings)


on_reset(autopost_settings.cache_clear)
