"""Images on the AI port's one adapter: generation (OpenAI GPT image models and xAI grok-imagine through the same
``openai`` client, each with its base URL) and image moderation (an image as a data URL to OpenAI's omni
moderation model). Every call goes through the adapter's guarded ``_call`` (breaker, retries, usage).

The request names its provider model explicitly (the client's default image model is of the banned family). The
parameters are the ones Lily's per-model rendering chose: those the SDK knows go as arguments, the provider's own
(xAI's ``aspect_ratio``, ``resolution``) in ``extra_body``. An answer's image comes as ``b64_json`` or, when a
provider answers with a URL, is fetched once.

The answer is read against what each provider documents sending, not the SDK's model of OpenAI's answer: xAI's
documented images answer has no ``created`` (OpenAI's does), so :class:`ImagesAnswer` requires only ``data``, and
each item needs ``b64_json`` or ``url``. Anything else is a malformed answer (retried, counted by the breaker).
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
from pydantic import Field

from lily.ai import usage as usage_log
from lily.ai.openai_client import OpenAIAdapter, generation_failed
from lily.ai.ports import CallContext, GeneratedImage, ImageRequest, ModerationVerdict, Usage, data_url
from lily.core.schema import Schema

SDK_IMAGE_ARGS = {"n", "size", "quality", "background", "output_format", "output_compression", "moderation",
                  "response_format", "user"}
MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"RIFF", "image/webp"))


class ImageItem(Schema):
    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None


class ImageUsage(Schema):
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0


class ImagesAnswer(Schema):
    """``POST /v1/images/generations``'s answer as both providers send it (OpenAI adds ``created``, ``size``,
    ``quality``...; xAI documents ``data`` alone)."""

    data: list[ImageItem] = Field(min_length=1)
    usage: ImageUsage | None = None


def read_images_answer(raw: Any) -> ImagesAnswer:
    """Raises a ``ValueError`` (pydantic's) when the body is not an images answer: the adapter's malformed case."""
    return ImagesAnswer.model_validate_json(raw.http_response.content)


def content_type_of(data: bytes) -> str | None:
    return next((kind for magic, kind in MAGIC if data.startswith(magic)), None)


class OpenAIImageAdapter(OpenAIAdapter):
    """:class:`lily.ai.ports.ImageAIPort`: the text adapter plus images."""

    def generate_image(self, request: ImageRequest, ctx: CallContext) -> GeneratedImage:
        provider = request.provider
        if provider not in ("openai", "xai"):
            raise generation_failed(provider, "unknown image provider")
        args: dict[str, Any] = {k: v for k, v in request.params.items() if k in SDK_IMAGE_ARGS}
        extra = {k: v for k, v in request.params.items() if k not in SDK_IMAGE_ARGS}
        answer, headers, attempts, latency_ms = self._call(
            provider, "image", lambda c: c.images.with_raw_response.generate(
                model=request.model, prompt=request.prompt, **args, extra_body=extra or None),
            ctx, parse=read_images_answer)
        item = answer.data[0]
        if item.b64_json:
            data = base64.b64decode(item.b64_json)
        elif item.url:
            data = self._fetch(provider, item.url)
        else:
            raise generation_failed(provider, "the image has neither b64_json nor url")
        kind = content_type_of(data)
        if kind is None:
            raise generation_failed(provider, "the image is not PNG, JPEG or WebP")
        u = answer.usage
        used = Usage(input_tokens=u.input_tokens, output_tokens=u.output_tokens,
                     total_tokens=u.total_tokens) if u else Usage()
        usage_log.record(ctx, provider=provider, model=request.model, operation="image", usage=used,
                         latency_ms=latency_ms, attempts=attempts)
        processing = headers.get("openai-processing-ms")
        return GeneratedImage(data=data, content_type=kind, provider=provider, model=request.model,
                              revised_prompt=item.revised_prompt, usage=used, latency_ms=round(latency_ms, 1),
                              provider_ms=float(processing) if processing else None, attempts=attempts)

    def _fetch(self, provider: str, url: str) -> bytes:
        try:
            resp = httpx.get(url, timeout=self.settings.timeout_s)
            resp.raise_for_status()
        except httpx.HTTPError:
            raise generation_failed(provider, "the image URL could not be fetched") from None
        return resp.content

    def moderate_image(self, data: bytes, content_type: str, ctx: CallContext) -> ModerationVerdict:
        (verdict,) = self._moderate([{"type": "image_url", "image_url": {"url": data_url(data, content_type)}}], ctx)
        return verdict
