"""Privacy settings (environment ``LILY_PRIVACY_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from lily.core.config import BaseSettings, load, on_reset, settings_config


class PrivacySettings(BaseSettings):
    model_config = settings_config("LILY_PRIVACY_")

    erasure_grace_days: int = Field(7, ge=0, description="Days between an erasure request and its run (cancellable)")
    export_link_ttl_s: int = Field(24 * 3600, ge=60, le=7 * 24 * 3600,
                                   description="Lifetime of the presigned link to an export archive")
    export_keep_days: int = Field(7, ge=1, description="Days an export job and its archive are kept")
    queue: str = "privacy"


@lru_cache(maxsize=1)
def privacy_settings() -> PrivacySettings:
    return load(PrivacySettings)


on_reset(privacy_settings.cache_clear)
