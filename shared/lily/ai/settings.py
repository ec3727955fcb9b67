"""AI provider configuration (environment ``LILY_AI_*``) and the provider keys (Secrets Manager ``ai-providers``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field

from lily.core.config import BaseSettings, load, on_reset, settings_config
from lily.core.resources import read_secret
from lily.core.schema import Schema

Provider = Literal["openai", "xai"]

class Price(Schema):
    """USD per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)


# Estimates for the usage table; configuration (LILY_AI_PRICES) overrides them.
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4.1-mini": Price(input=0.40, output=1.60),
    "gpt-4o-mini": Price(input=0.15, output=0.60),
    "grok-3-mini": Price(input=0.30, output=0.50),
    "text-embedding-3-large": Price(input=0.13, output=0),
    "text-embedding-3-small": Price(input=0.02, output=0),
    "omni-moderation-latest": Price(input=0, output=0),
    "gpt-image-1": Price(input=5.0, output=40.0),  # text input tokens, image output tokens
}


# The sampling parameters each text/vision model accepts (reasoning models refuse ``temperature``: OpenAI's o-series
# and gpt-5 family answer 400 "Unsupported parameter"). A model not in this table gets none: the provider's default.
SAMPLING: dict[str, frozenset[str]] = {
    "gpt-4.1-mini": frozenset({"temperature"}),
    "gpt-4.1": frozenset({"temperature"}),
    "gpt-4o-mini": frozenset({"temperature"}),
    "grok-3-mini": frozenset({"temperature"}),
    "grok-2-vision-1212": frozenset({"temperature"}),
    "gpt-5-mini": frozenset(),
    "o4-mini": frozenset(),
}


class AISettings(BaseSettings):
    model_config = settings_config("LILY_AI_")

    text_provider: Provider = Field("openai", description="Provider of text generation (LILY_AI_TEXT_PROVIDER)")
    openai_base_url: str = Field("https://api.openai.com/v1", description="OpenAI API base (the sandbox locally)")
    xai_base_url: str = Field("https://api.x.ai/v1", description="xAI API base (the sandbox locally)")
    openai_text_model: str = Field("gpt-4.1-mini", description="OpenAI model for text generation")
    xai_text_model: str = Field("grok-3-mini", description="xAI model for text generation")
    vision_provider: Provider = Field("openai", description="Provider of vision calls: image judge and alt text "
                                                            "(LILY_AI_VISION_PROVIDER); its model must read images")
    openai_vision_model: str = Field("gpt-4.1-mini", description="OpenAI model for vision (reads images)")
    xai_vision_model: str = Field("grok-2-vision-1212", description="xAI model for vision (reads images)")
    moderation_model: str = Field("omni-moderation-latest", description="OpenAI moderation model (xAI has none)")
    embedding_model: str = Field("text-embedding-3-large", description="OpenAI embedding model")
    embedding_dimensions: int = Field(1024, ge=1, le=3072, description="Embedding dimension of this deployment")
    timeout_s: float = Field(20.0, gt=0, le=120, description="Timeout of one provider call")
    max_retries: int = Field(2, ge=0, le=5, description="Retries after a 429, 5xx or timeout")
    max_retry_wait_s: float = Field(8.0, ge=0, description="Longest wait before a retry; longer → fail now")
    backoff_s: float = Field(0.5, ge=0, description="First backoff after a 5xx or timeout (doubles)")
    breaker_threshold: int = Field(5, ge=1, description="Consecutive failures that open a provider's breaker")
    breaker_open_s: float = Field(30.0, gt=0, description="How long an open breaker refuses calls")
    breaker_probe_lease_s: float = Field(30.0, gt=0, description="How long a half-open probe may take")
    sampling: dict[str, frozenset[str]] = Field(default_factory=lambda: dict(SAMPLING), description=(
        "Model -> the sampling parameters it accepts, JSON; a model not listed gets none"))
    secret: str = Field("ai-providers", description="Secrets Manager short name holding {openai_api_key, xai_api_key}")
    prices: dict[str, Price] = Field(default_factory=lambda: dict(DEFAULT_PRICES),
                                     description="USD per million tokens per model, JSON")

    def base_url(self, provider: Provider) -> str:
        return self.openai_base_url if provider == "openai" else self.xai_base_url

    def text_model(self, provider: Provider) -> str:
        return self.openai_text_model if provider == "openai" else self.xai_text_model

    def vision_model(self, provider: Provider) -> str:
        return self.openai_vision_model if provider == "openai" else self.xai_vision_model

    def accepts(self, model: str) -> frozenset[str]:
        """The sampling parameters ``model`` accepts (none when it is not in the table)."""
        return self.sampling.get(model, frozenset())

    def configured_models(self) -> dict[str, list[str]]:
        """Provider -> every model name this configuration sends to it."""
        return {"openai": [self.openai_text_model, self.openai_vision_model, self.moderation_model,
                           self.embedding_model],
                "xai": [self.xai_text_model, self.xai_vision_model]}


@lru_cache(maxsize=1)
def ai_settings() -> AISettings:
    return load(AISettings)


@lru_cache(maxsize=1)
def provider_keys() -> dict[str, str]:
    """``{openai_api_key, xai_api_key}`` from Secrets Manager (cached per cold start; never logged)."""
    value = read_secret(ai_settings().secret)
    return {"openai": value.get("openai_api_key", ""), "xai": value.get("xai_api_key", "")}


on_reset(ai_settings.cache_clear)
on_reset(provider_keys.cache_clear)
