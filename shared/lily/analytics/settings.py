"""Analytics configuration (environment ``LILY_ANALYTICS_*``), validated at cold start."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from lily.core.config import BaseSettings, load, on_reset, settings_config


class AnalyticsSettings(BaseSettings):
    model_config = settings_config("LILY_ANALYTICS_")

    daily_hour_utc: int = Field(2, ge=0, le=23, description="The hourly run at this UTC hour collects "
                                                                      "every recent target (PRODUCT.md: 02:00)")
    collect_days: int = Field(30, ge=1, le=730, description="Daily and on-demand runs collect targets "
                                                                      "published within this many days")
    young_hours: int = Field(48, ge=1, le=168, description="Hourly runs collect targets this young")
    call_interval_s: float = Field(0.2, ge=0, le=5, description="Pause between two metrics calls of one "
                                                                          "connection (pacing)")
    history_days: dict[str, int] = Field(
        {"basic": 30, "standard": 90, "advanced": 365, "predictive": 730},
        description="Snapshot TTL per analytics level (PRODUCT.md: free 30 d, starter 90, pro 1 y, enterprise 2 y)")
    csv_max_rows: int = Field(5000, ge=1, le=100000, description="Row cap of a CSV export")


@lru_cache(maxsize=1)
def analytics_settings() -> AnalyticsSettings:
    return load(AnalyticsSettings)


on_reset(analytics_settings.cache_clear)
