"""Autopilot configuration (environment ``LILY_AUTOPILOT_*``), with the one price table every cost comes from."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from lily.core.config import BaseSettings, load, on_reset, settings_config


class AutopilotSettings(BaseSettings):
    model_config = settings_config("LILY_AUTOPILOT_")

    queue: str = "autopilot"
    # The one price table (USD). Text: per million tokens, by the model the provider reports ("default" for any
    # other); images: per generated image. Every reservation and every settlement is priced here.
    prices: dict[str, dict[str, float]] = Field(default_factory=lambda: {
        "default": {"input_per_mtok": 2.5, "output_per_mtok": 10.0},
        "gpt-4o-mini": {"input_per_mtok": 0.15, "output_per_mtok": 0.6},
        "gpt-4o": {"input_per_mtok": 2.5, "output_per_mtok": 10.0},
        "image": {"each": 0.04},
    })
    # What one text step is reserved at before its call (settled to the tokens reported after it).
    reserve_input_tokens: int = Field(3000, ge=1)
    reserve_output_tokens: int = Field(1500, ge=1)
    run_hour: int = Field(6, ge=0, le=23, description="Local hour of the daily run (org time zone)")
    default_hours: list[int] = Field(default_factory=lambda: [9, 12, 17, 19, 8, 14, 20, 11],
                                               description="Local posting hours when there is no history")
    min_lead_minutes: int = Field(15, ge=0, description="A slot must be at least this far ahead")
    image_check_delay_s: int = Field(30, ge=0, le=900, description="After a run, look at its image jobs this "
                                     "long later (again after each look while one is still running)")
    image_checks: int = Field(10, ge=1, le=100, description="Looks at a running image job before its post goes "
                              "without the image")
    run_lease_s: int = Field(600, ge=30, description="A crashed run may be taken over after this")
    run_ttl_days: int = Field(180, ge=1)
    weekly_top_posts: int = Field(5, ge=1, le=20)


@lru_cache(maxsize=1)
def autopilot_settings() -> AutopilotSettings:
    return load(AutopilotSettings)


on_reset(autopilot_settings.cache_clear)
