"""OpenAI-compatible sandbox (OpenAI and xAI speak the same API): chat completions and responses (text and
JSON-schema structured output), embeddings, moderations and image generations. Facts:
https://platform.openai.com/docs/api-reference (github.com/openai/openai-openapi) and https://docs.x.ai/docs.

Fidelity: unknown parameters answer the real 400 (``unknown_parameter``), missing ones
``missing_required_parameter``, out-of-range values their ``invalid_value`` / ``decimal_above_max_value``;
errors use the real body ``{"error": {message, type, param, code}}``; every answer carries ``usage``,
``x-request-id``, ``openai-processing-ms`` (the sandbox's own time) and the ``x-ratelimit-*`` headers.
A 429 fault answers ``rate_limit_exceeded`` with ``x-ratelimit-reset-requests`` and (switch
``send_retry_after``) ``retry-after``. Faults (429, 5xx, slow, timeout_after_accept, malformed) come through
the shared ``/_sandbox/faults`` API; ``GET /_sandbox/requests`` lists the bodies received.
Text comes from :mod:`.textgen` (deterministic, seeded by the request).

Switches (``/_sandbox/config``): ``api_keys`` (the local keys), ``requests_per_min`` (500),
``tokens_per_min`` (200000), ``send_retry_after`` (True), ``server_error_status`` (500),
``moderation_terms`` ({category: [words]}), ``image_moderation_terms``, ``image_degrade``, ``xai_invalid_values``.

Modules: :mod:`.state`, :mod:`.wire` (errors, key check), :mod:`.text`, :mod:`.embeddings`, :mod:`.moderations`,
:mod:`.images` with :mod:`.image_params` and :mod:`.imagery`.
"""

from __future__ import annotations

import json
import time
import uuid

from fastapi import FastAPI, Request
from fastapi.responses import Response

from lily.local.sandboxes.controls import Wire, sandbox_app
from lily.local.sandboxes.kit import Fault, Sandbox, start_platform
from lily.local.sandboxes.openai import embeddings, images, moderations, text
from lily.local.sandboxes.openai.embeddings import EMBEDDING_SIZES
from lily.local.sandboxes.openai.state import AIState
from lily.local.sandboxes.openai.wire import error

__all__ = ["AIState", "create_app", "start"]
# The retrieval floor of all-MiniLM-L6-v2, calibrated (`make bench-vectors` prints it) on the 100 related / 100
# unrelated labelled pairs of tests/bench/data/similarity_pairs.json: a floor of highest balanced accuracy (0.965:
# recall 0.96, precision 0.97; 3 of the 35 hard negatives - same organisation or place, another subject - score
# above it, and no floor separates the set perfectly). The 0.7 it replaces kept 34 % of the related pairs.
# tests/integration/research/test_floor_calibration.py holds it to the calibration.
MINILM_FLOOR = 0.465


def wire(state: AIState) -> Wire:
    def rate_limited(f: Fault) -> Response:
        limit = state.config["requests_per_min"]
        headers = {"x-ratelimit-limit-requests": str(limit), "x-ratelimit-remaining-requests": "0",
                   "x-ratelimit-reset-requests": f"{f.reset_s}s", "x-request-id": f"req_{uuid.uuid4().hex}"}
        if state.config["send_retry_after"]:
            headers["retry-after"] = str(f.reset_s)
        return error(429, f"Rate limit reached for requests per min (RPM): Limit {limit}, Used {limit}, Requested 1. "
                          f"Please try again in {f.reset_s}s.", type_="requests", code="rate_limit_exceeded",
                     headers=headers)

    def server_error() -> Response:
        return error(int(state.config["server_error_status"]),
                     "The server had an error while processing your request. Sorry about that!", type_="server_error")

    def decorate(request: Request, response: Response) -> None:
        if "x-ratelimit-limit-requests" in response.headers:
            return
        now = time.time()
        used = sum(1 for method, _ in state.calls if method == "POST")  # since the last reset
        limit, tlimit = state.config["requests_per_min"], state.config["tokens_per_min"]
        response.headers["x-ratelimit-limit-requests"] = str(limit)
        response.headers["x-ratelimit-remaining-requests"] = str(max(0, limit - used % limit))
        response.headers["x-ratelimit-reset-requests"] = f"{60 - int(now) % 60}s"
        response.headers["x-ratelimit-limit-tokens"] = str(tlimit)
        response.headers["x-ratelimit-remaining-tokens"] = str(tlimit - 1000)
        response.headers["x-ratelimit-reset-tokens"] = "120ms"
        response.headers.setdefault("x-request-id", f"req_{uuid.uuid4().hex}")

    return Wire(rate_limited=rate_limited, server_error=server_error, signer=lambda raw: {}, api_prefixes=("/v1/",),
                decorate=decorate)


def create_app(state: AIState) -> FastAPI:
    app = sandbox_app(state, "OpenAI-compatible sandbox", wire(state))
    for module in (text, embeddings, moderations, images):
        app.include_router(module.router(state))
    return app


def start() -> Sandbox[AIState]:
    state = AIState()
    return start_platform("openai", create_app(state), state, local_env)


def local_env(base: str) -> dict[str, str]:
    """The environment local mode runs with against the sandbox at ``base``."""
    return {
        "LILY_AI_OPENAI_BASE_URL": f"{base}/v1", "LILY_AI_XAI_BASE_URL": f"{base}/v1",
        # the sandbox answers every embedding model with the local MiniLM model: its calibrated floor applies
        "LILY_EMBEDDING_FLOORS": json.dumps({m: MINILM_FLOOR for m in EMBEDDING_SIZES}),
    }
