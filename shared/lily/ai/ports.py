"""What Lily needs from an AI provider, in Lily's terms (text, vision, moderation, embeddings, images).

Errors cross the port as :class:`lily.core.errors.LilyError`: ``EXTERNAL_001`` when the provider is
unavailable (rate limited, 5xx, timeout, breaker open; ``details.retry_after`` and a ``Retry-After``
header say when to come back) and ``CONTENT_002`` when generation failed for another reason (the
provider refused the request, or answered something unusable).
"""

from __future__ import annotations

import base64
from typing import Any, Protocol

from pydantic import Field

from lily.core.errors import ErrorCode, LilyError
from lily.core.schema import Schema

CUT_OFF = "the answer was cut off at its output budget"


def is_cut_off(exc: LilyError) -> bool:
    """The provider stopped at the output budget (``finish_reason == "length"``): split or retry, never parse."""
    return exc.code == ErrorCode.CONTENT_002 and exc.details.get("reason") == CUT_OFF


class CallContext(Schema):
    """Who a provider call is for (recorded with its usage)."""

    org_id: str
    user_id: str | None = None
    feature: str = Field(description="e.g. content.generate, content.moderate")
    deadline: float | None = Field(None, description=(
        "time.monotonic() by which every provider call for this context must have answered (a synchronous HTTP "
        "request inside API Gateway's 29 s); no attempt or retry is started that could not finish by then"))


class Usage(Schema):
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0


class TextRequest(Schema):
    instructions: str = Field(description="The system message")
    prompt: str = Field(description="The user message")
    json_schema: dict[str, Any] | None = Field(None, description="Structured output: the answer is this JSON")
    schema_name: str = "answer"
    max_output_tokens: int = Field(1200, ge=16, le=16000)
    temperature: float = Field(0.7, ge=0, le=2, description="Sent only to models that accept it (AISettings.sampling)")
    image_urls: list[str] = Field(default_factory=list, description="Images the (vision) model looks at: data URLs")


class TextResult(Schema):
    text: str
    data: dict[str, Any] | None = Field(None, description="The parsed answer when a json_schema was given")
    provider: str
    model: str
    usage: Usage
    cost_usd: float = 0.0
    latency_ms: float = Field(description="Wall time of the successful call, as Lily measured it")
    provider_ms: float | None = Field(None, description="Processing time the provider reported")
    attempts: int = 1
    finish_reason: str | None = None


class ModerationVerdict(Schema):
    flagged: bool
    categories: list[str] = Field(default_factory=list, description="Flagged categories")


class Embeddings(Schema):
    vectors: list[list[float]]
    model: str
    usage: Usage


def data_url(data: bytes, content_type: str) -> str:
    """An image as the data URL vision and moderation calls take (``TextRequest.image_urls``)."""
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


class ImageRequest(Schema):
    """One image generation, already in the provider's terms (Lily's per-model rendering decided them)."""

    provider: str = Field(description="openai | xai")
    model: str = Field(min_length=1, description="The provider model, always named (see PRODUCT.md)")
    prompt: str
    params: dict[str, Any] = Field(default_factory=dict, description="Only parameters the provider accepts")


class GeneratedImage(Schema):
    data: bytes
    content_type: str
    provider: str
    model: str
    revised_prompt: str | None = None
    usage: Usage = Field(default_factory=Usage)
    latency_ms: float
    provider_ms: float | None = None
    attempts: int = 1


class AIPort(Protocol):
    def generate(self, request: TextRequest, ctx: CallContext) -> TextResult:
        """One text generation (raises LilyError EXTERNAL_001 / CONTENT_002)."""

    def moderate(self, texts: list[str], ctx: CallContext) -> list[ModerationVerdict]:
        """One verdict per text, in order."""

    def embed(self, texts: list[str], ctx: CallContext) -> Embeddings:
        """One vector per text, in order, of the deployment's dimension."""


class ImageAIPort(AIPort, Protocol):
    def generate_image(self, request: ImageRequest, ctx: CallContext) -> GeneratedImage:
        """One image (raises LilyError EXTERNAL_001 / CONTENT_002)."""

    def moderate_image(self, data: bytes, content_type: str, ctx: CallContext) -> ModerationVerdict:
        """The moderation verdict of one image (sent as a data URL)."""


class ModelFact(Schema):
    """Where a provider model name was checked, and when: a retired name fails every call (xAI retired grok-2-image
    and grok-imagine-image-pro). ``make check-models`` compares the names with the provider's own list."""

    provider: str
    source: str
    checked: str = Field(description="ISO date the name was last checked against the source")


REFERENCE = "/work/shared/reference/platform-apis.md"
# Every model name a default setting carries (lily.ai.settings, lily.images.settings); a test keeps them in step.
CHECKED_MODELS: dict[str, ModelFact] = {
    "gpt-4.1-mini": ModelFact(provider="openai", checked="2026-12-07",
                              source="https://platform.openai.com/docs/models/gpt-4.1-mini (openai-python types)"),
    "omni-moderation-latest": ModelFact(provider="openai", checked="2026-12-07",
                                        source="https://platform.openai.com/docs/models/omni-moderation-latest"),
    "text-embedding-3-large": ModelFact(provider="openai", checked="2026-12-07",
                                        source="https://platform.openai.com/docs/models/text-embedding-3-large"),
    "gpt-image-1": ModelFact(provider="openai", checked="2026-12-07",
                             source=f"https://platform.openai.com/docs/models/gpt-image-1 ({REFERENCE} §5)"),
    "grok-3-mini": ModelFact(provider="xai", checked="2026-12-07", source="https://docs.x.ai/docs/models"),
    "grok-2-vision-1212": ModelFact(provider="xai", checked="2026-12-07",
                                    source="https://docs.x.ai/docs/models (image understanding; secondary sources "
                                           "list it as xAI's vision model)"),
    "grok-imagine-image": ModelFact(provider="xai", checked="2026-12-07",
                                    source=f"https://docs.x.ai/docs/models ({REFERENCE} §5.2)"),
    "grok-imagine-image-quality": ModelFact(provider="xai", checked="2026-12-07",
                                            source=f"https://docs.x.ai/docs/models ({REFERENCE} §5.2; may be "
                                                   "retired: run make check-models before a deploy)"),
}
