"""Console settings (``LILY_CONSOLE_*``): where the public API is."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from lily.core.config import BaseSettings, get_settings, load, on_reset, settings_config


class ConsoleSettings(BaseSettings):
    model_config = settings_config("LILY_CONSOLE_")

    api_url: str | None = Field(None, description="Base URL of the public API the console calls (default: "
                                                  "LILY_PUBLIC_BASE_URL, the same API Gateway)")

    @property
    def api_base_url(self) -> str:
        return (self.api_url or get_settings().public_base_url).rstrip("/")


@lru_cache(maxsize=1)
def console_settings() -> ConsoleSettings:
    return load(ConsoleSettings)


on_reset(console_settings.cache_clear)
