"""The one adapter of the AI port: the official ``openai`` client.

OpenAI and xAI are both reached through ``openai.OpenAI`` with their own ``base_url`` and key
(:mod:`lily.ai.settings`); in local mode the base URLs point at the OpenAI-compatible sandbox
(:mod:`lily.local.sandboxes.openai`), so this is the code path everywhere. Text uses Chat Completions
(both providers serve it; structured output through ``response_format: json_schema``); moderation
and embeddings always go to OpenAI (xAI has neither).

Every call goes through :meth:`OpenAIAdapter._call`: the provider's circuit breaker (the publishing
breaker, state in DynamoDB so every instance shares it, key ``ai:<provider>``), the SDK's own retries
off, and our retries instead: a 429 waits what ``retry-after`` / ``x-ratelimit-reset-*`` say (up to
``max_retry_wait_s``), a 5xx, timeout, connection failure or malformed answer backs off and counts as
one breaker failure. What is left becomes ``EXTERNAL_001`` with ``retry_after`` (unavailable) or
``CONTENT_002`` (the provider refused or answered something unusable). Usage of each successful call
is recorded once (:mod:`lily.ai.usage`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

import openai

from lily.ai import usage as usage_log
from lily.ai.ports import CUT_OFF, CallContext, Embeddings, ModerationVerdict, TextRequest, TextResult, Usage
from lily.ai.retry_after import retry_after_s
from lily.ai.settings import AISettings, Provider, ai_settings, provider_keys
from lily.core import breaker, clock
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count, logger

MIN_ATTEMPT_S = 0.5  # an attempt with less time than this left before the deadline is not started
# One per call sent to a provider, result ok | error (rate limited, transient, refused): few dimensions, so the AI
# provider error-rate alarm can name each series (infra/lily_infra/operations.py)
PROVIDER_CALLS = "ai_provider_calls_total"


class _Malformed(Exception):
    """The provider answered 2xx with a body that is not the expected JSON."""


def unavailable(provider: str, retry_after: float, reason: str) -> LilyError:
    seconds = max(1, math.ceil(retry_after))
    return LilyError(ErrorCode.EXTERNAL_001, f"The AI provider is unavailable ({reason}); retry later",
                     {"provider": provider, "reason": reason, "retry_after": seconds},
                     headers={"Retry-After": str(seconds)})


def generation_failed(provider: str, reason: str, **details: Any) -> LilyError:
    return LilyError(ErrorCode.CONTENT_002, f"Content generation failed: {reason}",
                     {"provider": provider, "reason": reason, **details}, retryable=False)


class OpenAIAdapter:
    """:class:`lily.ai.ports.AIPort` on the ``openai`` client."""

    def __init__(self, settings: AISettings | None = None, keys: dict[str, str] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings or ai_settings()
        self._keys = keys
        self._sleep = sleep
        self._clients: dict[str, openai.OpenAI] = {}

    def client(self, provider: Provider) -> openai.OpenAI:
        if provider not in self._clients:
            keys = self._keys if self._keys is not None else provider_keys()
            self._clients[provider] = openai.OpenAI(
                api_key=keys.get(provider) or "missing", base_url=self.settings.base_url(provider),
                timeout=self.settings.timeout_s, max_retries=0, _strict_response_validation=True)
        return self._clients[provider]

    # ------------------------------------------------------------------ the port

    def generate(self, request: TextRequest, ctx: CallContext) -> TextResult:
        s = self.settings
        # Images go to the vision provider's model (a text-only model answers 400 to image parts).
        provider = s.vision_provider if request.image_urls else s.text_provider
        model = s.vision_model(provider) if request.image_urls else s.text_model(provider)
        params: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "system", "content": request.instructions},
                         {"role": "user", "content": _user_content(request)}],
            "max_completion_tokens": request.max_output_tokens,
        }
        if "temperature" in s.accepts(model):  # reasoning models refuse it
            params["temperature"] = request.temperature
        if request.json_schema is not None:
            params["response_format"] = {"type": "json_schema", "json_schema": {
                "name": request.schema_name, "schema": request.json_schema, "strict": True}}
        completion, headers, attempts, latency_ms = self._call(
            provider, "text", lambda c: c.chat.completions.with_raw_response.create(**params), ctx)
        u = completion.usage
        used = Usage(input_tokens=u.prompt_tokens, output_tokens=u.completion_tokens,
                     total_tokens=u.total_tokens) if u else Usage()
        cost = usage_log.record(ctx, provider=provider, model=completion.model or model, operation="text",
                                usage=used, latency_ms=latency_ms, attempts=attempts)
        if not completion.choices:
            raise generation_failed(provider, "no choices in the answer")
        message = completion.choices[0].message
        if getattr(message, "refusal", None):
            raise generation_failed(provider, "the model refused", refusal=message.refusal[:300])
        finish = completion.choices[0].finish_reason
        if finish == "length":
            count("ai_requests_total", provider=provider, operation="text", outcome="cut_off")
            raise generation_failed(provider, CUT_OFF, finish_reason=finish,
                                    max_output_tokens=request.max_output_tokens)
        text = message.content or ""
        data = None
        if request.json_schema is not None:
            try:
                data = json.loads(text)
            except ValueError:
                raise generation_failed(provider, "the structured answer is not JSON",
                                        finish_reason=completion.choices[0].finish_reason) from None
            if not isinstance(data, dict):
                raise generation_failed(provider, "the structured answer is not an object")
        processing = headers.get("openai-processing-ms")
        return TextResult(text=text, data=data, provider=provider, model=completion.model or model, usage=used,
                          cost_usd=cost, latency_ms=round(latency_ms, 1), attempts=attempts,
                          provider_ms=float(processing) if processing else None, finish_reason=finish)

    def moderate(self, texts: list[str], ctx: CallContext) -> list[ModerationVerdict]:
        return self._moderate(texts, ctx) if texts else []

    def _moderate(self, inputs: list, ctx: CallContext) -> list[ModerationVerdict]:
        """One moderation call (texts, or image parts as data URLs): a verdict per input, usage recorded."""
        model = self.settings.moderation_model
        answer, _, attempts, latency_ms = self._call(
            "openai", "moderation", lambda c: c.moderations.with_raw_response.create(model=model, input=inputs), ctx)
        usage_log.record(ctx, provider="openai", model=answer.model or model, operation="moderation", usage=Usage(),
                         latency_ms=latency_ms, attempts=attempts)
        if len(answer.results) != len(inputs):
            raise generation_failed("openai", "moderation answered a different number of results")
        verdicts = []
        for result in answer.results:
            flags = result.categories.model_dump(by_alias=True)
            verdicts.append(ModerationVerdict(flagged=bool(result.flagged),
                                              categories=sorted(k for k, v in flags.items() if v)))
        return verdicts

    def embed(self, texts: list[str], ctx: CallContext) -> Embeddings:
        model, dims = self.settings.embedding_model, self.settings.embedding_dimensions
        answer, _, attempts, latency_ms = self._call(
            "openai", "embedding",
            lambda c: c.embeddings.with_raw_response.create(model=model, input=texts, dimensions=dims,
                                                            encoding_format="float"), ctx)
        used = Usage(input_tokens=answer.usage.prompt_tokens, total_tokens=answer.usage.total_tokens)
        usage_log.record(ctx, provider="openai", model=answer.model or model, operation="embedding", usage=used,
                         latency_ms=latency_ms, attempts=attempts)
        vectors = [d.embedding for d in sorted(answer.data, key=lambda d: d.index)]
        if len(vectors) != len(texts) or any(len(v) != dims for v in vectors):
            raise generation_failed("openai", "embeddings of the wrong count or dimension", dimensions=dims)
        return Embeddings(vectors=vectors, model=answer.model or model, usage=used)

    # ------------------------------------------------------------------ one guarded provider call

    def _call(self, provider: Provider, operation: str, send: Callable[[openai.OpenAI], Any],
              ctx: CallContext | None = None, parse: Callable[[Any], Any] | None = None):
        """``(parsed answer, headers, attempts, latency_ms)`` of the first successful attempt.

        ``parse`` reads the raw answer (default: the SDK's models); ``ctx.deadline`` bounds the whole call: each
        attempt's timeout is what is left, and a retry that could not finish in time is not started."""
        s = self.settings
        key = f"ai:{provider}"
        deadline = ctx.deadline if ctx is not None else None
        attempt = 0

        def left() -> float:
            return math.inf if deadline is None else deadline - time.monotonic()

        def may_retry(wait: float) -> bool:
            return attempt <= s.max_retries and left() - wait > MIN_ATTEMPT_S

        while True:
            attempt += 1
            if left() < MIN_ATTEMPT_S:
                count("ai_requests_total", provider=provider, operation=operation, outcome="deadline")
                raise unavailable(provider, s.backoff_s, "out of time for this request")
            decision = breaker.allow(key, probe_lease_s=s.breaker_probe_lease_s)
            if not decision.allowed:
                count("ai_requests_total", provider=provider, operation=operation, outcome="breaker_open")
                raise unavailable(provider, (decision.retry_at or clock.now_ts() + 1) - clock.now_ts(),
                                  "circuit open")
            started = time.perf_counter()
            try:
                client = self.client(provider)
                if left() < s.timeout_s:
                    client = client.with_options(timeout=left())
                raw = send(client)
                parsed = raw.parse() if parse is None else parse(raw)
                if isinstance(parsed, str | bytes):
                    raise _Malformed("not JSON")
            except openai.RateLimitError as exc:
                wait = retry_after_s(exc.response.headers)
                count("ai_requests_total", provider=provider, operation=operation, outcome="rate_limited")
                count(PROVIDER_CALLS, provider=provider, result="error")
                logger.warning("AI provider rate limited", extra={"provider": provider, "retry_after": wait})
                wait = s.backoff_s * 2 ** (attempt - 1) if wait is None else wait
                if wait <= s.max_retry_wait_s and may_retry(wait):
                    self._sleep(wait)
                    continue
                raise unavailable(provider, wait, "rate limited") from None
            except (openai.APIConnectionError, openai.InternalServerError, openai.APIResponseValidationError,
                    _Malformed, ValueError) as exc:  # ValueError: the body is not JSON at all
                reason = _transient_reason(exc)
                opened = breaker.record_failure(key, threshold=s.breaker_threshold, open_s=s.breaker_open_s)
                count("ai_requests_total", provider=provider, operation=operation, outcome=reason.replace(" ", "_"))
                count(PROVIDER_CALLS, provider=provider, result="error")
                logger.warning("AI provider call failed", extra={"provider": provider, "reason": reason,
                                                                 "attempt": attempt, "breaker_opened": opened})
                wait = s.backoff_s * 2 ** (attempt - 1)
                if not opened and may_retry(wait):
                    self._sleep(wait)
                    continue
                if reason == "malformed answer":
                    raise generation_failed(provider, "the provider answered malformed data") from None
                raise unavailable(provider, s.breaker_open_s if opened else wait, reason) from None
            except openai.APIStatusError as exc:
                body = exc.body if isinstance(exc.body, dict) else {}
                count("ai_requests_total", provider=provider, operation=operation, outcome="rejected")
                count(PROVIDER_CALLS, provider=provider, result="error")
                logger.error("AI provider refused the request", extra={
                    "provider": provider, "status": exc.status_code, "code": body.get("code"),
                    "param": body.get("param")})
                raise generation_failed(provider, "the provider refused the request", status=exc.status_code,
                                        provider_code=body.get("code"), param=body.get("param")) from None
            latency_ms = (time.perf_counter() - started) * 1000
            breaker.record_success(key)
            count(PROVIDER_CALLS, provider=provider, result="ok")
            return parsed, raw.headers, attempt, latency_ms


def _user_content(request: TextRequest) -> str | list[dict[str, Any]]:
    """The user message: plain text, or text and images (vision) as content parts."""
    if not request.image_urls:
        return request.prompt
    return [{"type": "text", "text": request.prompt},
            *({"type": "image_url", "image_url": {"url": url, "detail": "low"}} for url in request.image_urls)]


def _transient_reason(exc: Exception) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection failed"
    if isinstance(exc, openai.InternalServerError):
        return "server error"
    return "malformed answer"
