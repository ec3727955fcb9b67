"""What Lily needs from an AI provider, in Lily's terms.

Errors cross the port as :class:`lily.core.errors.LilyError`: ``EXTERNAL_001`` when the provider is
unavailable (rate limited, 5xx, timeout, breaker open; ``details.retry_after`` and a ``Retry-After``
header say when to come back) and ``CONTENT_002`` when generation failed for another reason (the
provider refused the request, or answered something unusable).
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field


class CallContext(BaseModel):
    """Who a provider call is for (recorded with its usage)."""

    org_id: str
    user_id: str | None = None
    feature: str = Field(description="e.g. content.generate, content.moderate")


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0


class TextRequest(BaseModel):
    instructions: str = Field(description="The system message")
    prompt: str = Field(description="The user message")
    json_schema: dict[str, Any] | None = Field(None, description="Structured output: the answer is this JSON")
    schema_name: str = "answer"
    max_output_tokens: int = Field(1200, ge=16, le=16000)
    temperature: float = Field(0.7, ge=0, le=2)


class TextResult(BaseModel):
    text: str
    data: dict[str, Any] | None = Field(None, description="The parsed answer when a json_schema was given")
    provider: str
    model: str
    usage: Usage
    cost_usd: float = 0.0
    latency_ms: float = Field(description="Wall time of the successful call, as Lily measured it")
    provider_ms: float | None = Field(None, description="Processing time the provider reported")
    attempts: int = 1


class ModerationVerdict(BaseModel):
    flagged: bool
    categories: list[str] = Field(default_factory=list, description="Flagged categories")


class Embeddings(BaseModel):
    vectors: list[list[float]]
    model: str
    usage: Usage


class AIPort(Protocol):
    def generate(self, request: TextRequest, ctx: CallContext) -> TextResult:
        """One text generation (raises LilyError EXTERNAL_001 / CONTENT_002)."""

    def moderate(self, texts: list[str], ctx: CallContext) -> list[ModerationVerdict]:
        """One verdict per text, in order."""

    def embed(self, texts: list[str], ctx: CallContext) -> Embeddings:
        """One vector per text, in order, of the deployment's dimension."""
