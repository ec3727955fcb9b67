"""Content configuration (environment ``LILY_CONTENT_*``): the output budget of one provider call and the time
a synchronous generation may spend with the provider."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from lily.core.config import BaseSettings, load, on_reset, settings_config


class ContentSettings(BaseSettings):
    model_config = settings_config("LILY_CONTENT_")

    max_output_tokens_per_call: int = Field(4000, ge=256, le=16000, description=(
        "Largest output budget of one text call; a generation that needs more is split (one call per platform, "
        "then per group of alternatives)"))
    longest_post_chars: int = Field(3000, ge=280, description=(
        "Characters budgeted for one post of a platform whose limit is higher (Facebook allows 63,206)"))
    sync_deadline_s: float = Field(25.0, gt=0, le=28, description=(
        "Provider time one synchronous HTTP request may spend (API Gateway answers 504 at 29 s): each attempt's "
        "timeout is cut to what is left and no retry starts that could not finish"))
    parallel_calls: int = Field(4, ge=1, le=8, description="Provider calls of one split generation run side by side")
    voice_floor: float = Field(0.15, ge=-1, le=1, description=(
        "Voice similarity (cosine to the brand's nearest example posts) that earns 0 of the voice check's 10 points"))
    voice_full: float = Field(0.55, ge=-1, le=1, description="Voice similarity that earns all 10 points")
    output_tokens_per_s: float = Field(150.0, gt=0, description=(
        "Output tokens a provider call is assumed to write per second when deciding whether a generation fits the "
        "synchronous window (docs/content.md, \"Large requests\"). An assumption, not a measurement: `make "
        "check-models` measures the configured text model's rate with a key (lily.admin.output_rate)"))
    job_deadline_s: float = Field(240.0, gt=0, le=290, description=(
        "Provider time one generation job may spend in the content worker (its timeout is 300 s)"))


@lru_cache(maxsize=1)
def content_settings() -> ContentSettings:
    return load(ContentSettings)


on_reset(content_settings.cache_clear)
