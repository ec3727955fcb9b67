"""OpenAI-compatible sandbox (OpenAI and xAI speak the same API): chat completions and responses (text and
JSON-schema structured output), embeddings, moderations and image generations. Facts:
/work/shared/reference/platform-apis.md §5.

Fidelity: unknown parameters answer the real 400 (``unknown_parameter``), missing ones
``missing_required_parameter``, out-of-range values their ``invalid_value`` / ``decimal_above_max_value``;
errors use the real body ``{"error": {message, type, param, code}}``; every answer carries ``usage``,
``x-request-id``, ``openai-processing-ms`` (the sandbox's own time) and the ``x-ratelimit-*`` headers.
A 429 fault answers ``rate_limit_exceeded`` with ``x-ratelimit-reset-requests`` and (switch
``send_retry_after``) ``retry-after``. Faults (429, 5xx, slow, timeout_after_accept, malformed) come through
the shared ``/_sandbox/faults`` API; ``GET /_sandbox/requests`` lists the bodies received.
Text comes from :mod:`lily.local.sandboxes._textgen` (deterministic, seeded by the request).

Switches (``/_sandbox/config``): ``api_keys`` (the local keys), ``requests_per_min`` (500),
``tokens_per_min`` (200000), ``send_retry_after`` (True), ``server_error_status`` (500),
``moderation_terms`` ({category: [words]}).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
import time
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes import Sandbox
from lily.local.sandboxes._imagery import Gallery
from lily.local.sandboxes._images_api import ImageParamError, image_answer, image_verdicts, vision_facts
from lily.local.sandboxes._platform_kit import Fault, PlatformState, bearer, sandbox_app
from lily.local.sandboxes._textgen import Brief, brief_of, hashtags, write_post, write_sentence
from lily.local.serve import ThreadedServer

CHAT_PARAMS = {
    "messages", "model", "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
    "max_completion_tokens", "max_tokens", "metadata", "modalities", "n", "parallel_tool_calls", "prediction",
    "presence_penalty", "prompt_cache_key", "reasoning_effort", "response_format", "safety_identifier", "seed",
    "service_tier", "stop", "store", "stream", "stream_options", "temperature", "tool_choice", "tools",
    "top_logprobs", "top_p", "user", "verbosity", "web_search_options",
}
RESPONSES_PARAMS = {
    "model", "input", "instructions", "max_output_tokens", "temperature", "text", "tools", "tool_choice",
    "previous_response_id", "store", "reasoning", "metadata", "include", "parallel_tool_calls", "top_p",
    "truncation", "user", "stream", "background", "conversation", "max_tool_calls", "prompt", "prompt_cache_key",
    "safety_identifier", "service_tier", "top_logprobs",
}
EMBEDDING_PARAMS = {"model", "input", "encoding_format", "dimensions", "user"}
MODERATION_PARAMS = {"model", "input"}
GPT_IMAGE_PARAMS = {"model", "prompt", "n", "size", "quality", "background", "output_format", "output_compression",
                    "moderation", "stream", "partial_images", "user"}
XAI_IMAGE_PARAMS = {"model", "prompt", "n", "response_format", "aspect_ratio", "resolution", "user", "quality"}
EMBEDDING_SIZES = {"text-embedding-3-large": 3072, "text-embedding-3-small": 1536, "text-embedding-ada-002": 1536}
MODERATION_CATEGORIES = [
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent", "self-harm",
    "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence", "violence/graphic",
]
IMAGE_CAPABLE = {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
DEFAULT_TERMS = {
    "violence": ["kill", "murder", "shoot", "stab", "massacre"],
    "hate": ["subhuman", "vermin"],
    "harassment": ["idiot", "loser", "worthless"],
    "self-harm": ["suicide", "self-harm"],
    "sexual": ["porn", "nsfw"],
    "illicit": ["cocaine", "counterfeit", "meth"],
}
RETIRED_IMAGE_MODELS = {"grok-2-image", "grok-2-image-1212", "grok-imagine-image-pro"}


def tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4)) if text else 0


def error(status: int, message: str, type_: str = "invalid_request_error", param: str | None = None,
          code: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": type_, "param": param, "code": code}},
                        status_code=status, headers=headers)


def unknown(params: set[str], body: dict) -> JSONResponse | None:
    extra = sorted(k for k in body if k not in params)
    if extra:
        return error(400, f"Unknown parameter: '{extra[0]}'.", param=extra[0], code="unknown_parameter")
    return None


def missing(body: dict, *names: str) -> JSONResponse | None:
    for name in names:
        if body.get(name) in (None, "", []):
            return error(400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")
    return None


def out_of_range(body: dict, name: str, lo: float, hi: float) -> JSONResponse | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        return error(400, f"Invalid type for '{name}': expected a number, but got {type(value).__name__} instead.",
                     param=name, code="invalid_type")
    if value > hi:
        return error(400, f"Invalid '{name}': decimal above maximum value. Expected a value <= {hi}, but got "
                          f"{value} instead.", param=name, code="decimal_above_max_value")
    if value < lo:
        return error(400, f"Invalid '{name}': decimal below minimum value. Expected a value >= {lo}, but got "
                          f"{value} instead.", param=name, code="decimal_below_min_value")
    return None


def first_error(*checks: JSONResponse | None) -> JSONResponse | None:
    return next((c for c in checks if c is not None), None)


# ---------------------------------------------------------------- structured output from a JSON schema

PLATFORMS = {"x", "twitter", "facebook", "instagram", "linkedin"}


def fill(schema: dict, path: tuple[str, ...], brief: Brief, seed: str, defs: dict,
         known: dict[str, Any] | None = None) -> Any:
    """A value valid for ``schema`` (object, array, string, enum, number, boolean, anyOf, $ref); a property
    named in ``known`` gets that value (what the sandbox really judged, for vision answers)."""
    if known and path and path[-1] in known:
        return known[path[-1]]
    if "$ref" in schema:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"] or schema["anyOf"]
        return fill(options[0], path, brief, seed, defs, known)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if "enum" in schema:
        index = next((int(p) for p in reversed(path) if p.isdigit()), 0)  # the nearest array position
        return schema["enum"][index % len(schema["enum"])]
    if kind == "object":
        return {name: fill(sub, (*path, name), brief, seed, defs, known)
                for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        n = max(int(schema.get("minItems", 1)), 1)
        n = min(n, int(schema.get("maxItems", n)))
        if path and path[-1] == "hashtags":
            return hashtags(brief, (seed, *path), n=max(n, 3))[: schema.get("maxItems", 5)]
        return [fill(schema.get("items") or {"type": "string"}, (*path, str(i)), brief, seed, defs, known)
                for i in range(n)]
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    name = next((p for p in reversed(path) if not p.isdigit()), "")
    platform = next((p for p in path if p in PLATFORMS), brief.platform)
    if name in ("text", "content", "body", "caption", "post"):
        return write_post(brief, (seed, *path), platform=platform)
    if name in ("parts", "tweets", "posts"):
        return write_post(brief, (seed, *path), platform="x", sentences=2)
    return write_sentence(brief, (seed, *path))


class AIState(PlatformState):
    def reset(self) -> None:
        super().reset()
        self.requests: list[dict[str, Any]] = []
        self.images: dict[str, bytes] = {}
        self.gallery = Gallery()


def build(state: AIState | None = None):
    from lily.local.secret_values import AI_PROVIDER_KEYS as LOCAL_PROVIDER_KEYS

    state = state or AIState("openai", {
        "api_keys": sorted(LOCAL_PROVIDER_KEYS.values()), "requests_per_min": 500, "tokens_per_min": 200000,
        "send_retry_after": True, "server_error_status": 500, "moderation_terms": DEFAULT_TERMS,
        "image_moderation_terms": {c: w for c, w in DEFAULT_TERMS.items() if c in IMAGE_CAPABLE},
        "image_degrade": None, "xai_invalid_values": "fallback",
    })

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

    app = sandbox_app(state, "OpenAI-compatible sandbox", rate_limited=rate_limited, server_error=server_error,
                      signer=lambda raw: {}, api_prefixes=("/v1/",), decorate=decorate)

    def unauthorized(request: Request) -> JSONResponse | None:
        key = bearer(request)
        if not key:
            return error(401, "You didn't provide an API key. You need to provide your API key in an "
                              "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
        if key not in state.config["api_keys"]:
            return error(401, f"Incorrect API key provided: {key[:3]}***{key[-4:]}.", code="invalid_api_key")
        return None

    async def read(request: Request) -> tuple[dict | None, JSONResponse | None]:
        """The JSON body after the key check, or the real error."""
        if (problem := unauthorized(request)) is not None:
            return None, problem
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return None, error(400, "We could not parse the JSON body of your request. (HINT: This likely means you "
                                    "aren't using your HTTP library correctly.)")
        with state.lock:
            state.requests.append({"path": request.url.path, "body": body})
            del state.requests[:-200]
        return body, None

    def answer(body: dict, started: float) -> JSONResponse:
        ms = max(1, round((time.perf_counter() - started) * 1000))
        return JSONResponse(body, headers={"openai-processing-ms": str(ms)})

    # ------------------------------------------------------------ text

    def compose(model: str, system: str, user: str, fmt: dict | None, index: int, max_tokens: int | None,
                known: dict[str, Any] | None = None):
        """(text, finish_reason) for one answer (``known``: what the sandbox saw in the request's images)."""
        brief = brief_of(f"{system}\n{user}")
        seed = hashlib.sha256(f"{model}\x1f{system}\x1f{user}\x1f{index}".encode()).hexdigest()
        if fmt and fmt.get("type") == "json_schema":
            spec = fmt.get("json_schema", fmt)
            schema = spec.get("schema") or {}
            text = json.dumps(fill(schema, (), brief, seed, schema.get("$defs") or {}, known), ensure_ascii=False)
        elif known and "alt_text" in known:
            text = str(known["alt_text"])
        elif fmt and fmt.get("type") == "json_object":
            text = json.dumps({"text": write_post(brief, seed)}, ensure_ascii=False)
        else:
            text = write_post(brief, seed)
        if max_tokens is not None and tokens(text) > max_tokens:
            return text[: max_tokens * 4], "length"
        return text, "stop"

    def text_of(content: Any) -> str:
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return ""

    def check_format(fmt: Any, param: str) -> JSONResponse | None:
        if fmt is None:
            return None
        if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
            return error(400, f"Invalid value: '{(fmt or {}).get('type') if isinstance(fmt, dict) else fmt}'. "
                              "Supported values are: 'text', 'json_object' and 'json_schema'.",
                         param=f"{param}.type", code="invalid_value")
        if fmt["type"] == "json_schema":
            spec = fmt.get("json_schema", fmt)
            if not spec.get("name"):
                return error(400, f"Missing required parameter: '{param}.json_schema.name'.",
                             param=f"{param}.json_schema.name", code="missing_required_parameter")
            if not isinstance(spec.get("schema"), dict):
                return error(400, f"Invalid schema for response_format '{spec.get('name')}'.",
                             param=param, code="invalid_json_schema")
        return None

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        started = time.perf_counter()
        body, problem = await read(request)
        if problem:
            return problem
        problem = first_error(unknown(CHAT_PARAMS, body), missing(body, "model", "messages"),
                              out_of_range(body, "temperature", 0, 2), out_of_range(body, "top_p", 0, 1),
                              out_of_range(body, "n", 1, 128), check_format(body.get("response_format"),
                                                                            "response_format"))
        if problem:
            return problem
        if body.get("stream"):
            return error(400, "This sandbox does not stream; send stream=false.", param="stream",
                         code="unsupported_value")
        messages = body["messages"]
        for i, m in enumerate(messages if isinstance(messages, list) else [None]):
            if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user", "assistant", "tool"):
                return error(400, f"Invalid value for 'messages[{i}].role'.", param=f"messages[{i}].role",
                             code="invalid_value")
        system = "\n".join(text_of(m.get("content")) for m in messages if m["role"] in ("system", "developer"))
        user = "\n".join(text_of(m.get("content")) for m in messages if m["role"] == "user")
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        known = vision_facts(state.gallery, [m.get("content") for m in messages if m["role"] == "user"], user)
        choices, out_tokens = [], 0
        for i in range(int(body.get("n") or 1)):
            text, finish = compose(body["model"], system, user, body.get("response_format"), i, limit, known)
            out_tokens += tokens(text)
            choices.append({"index": i, "message": {"role": "assistant", "content": text, "refusal": None,
                                                    "annotations": []},
                            "logprobs": None, "finish_reason": finish})
        prompt_tokens = sum(tokens(text_of(m.get("content"))) for m in messages)
        return answer({
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"], "choices": choices, "service_tier": "default",
            "system_fingerprint": "fp_lily_sandbox",
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": out_tokens,
                      "total_tokens": prompt_tokens + out_tokens,
                      "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                    "accepted_prediction_tokens": 0,
                                                    "rejected_prediction_tokens": 0}},
        }, started)

    @app.post("/v1/responses")
    async def responses(request: Request) -> Response:
        started = time.perf_counter()
        body, problem = await read(request)
        if problem:
            return problem
        fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
        problem = first_error(unknown(RESPONSES_PARAMS, body), missing(body, "model", "input"),
                              out_of_range(body, "temperature", 0, 2), out_of_range(body, "max_output_tokens", 16, 1e9),
                              check_format(fmt, "text.format"))
        if problem:
            return problem
        items = body["input"] if isinstance(body["input"], list) else [{"role": "user", "content": body["input"]}]
        items = [i for i in items if isinstance(i, dict)]
        system = "\n".join([body.get("instructions") or ""] + [
            text_of(i.get("content")) for i in items if i.get("role") in ("system", "developer")])
        user = "\n".join(text_of(i.get("content")) for i in items if i.get("role", "user") == "user")
        text, finish = compose(body["model"], system, user, fmt, 0, body.get("max_output_tokens"))
        in_tokens, out_tokens = tokens(system) + tokens(user), tokens(text)
        rid = f"resp_{uuid.uuid4().hex}"
        return answer({
            "id": rid, "object": "response", "created_at": int(time.time()),
            "status": "completed" if finish == "stop" else "incomplete",
            "incomplete_details": None if finish == "stop" else {"reason": "max_output_tokens"},
            "error": None, "instructions": body.get("instructions"), "model": body["model"],
            "max_output_tokens": body.get("max_output_tokens"), "metadata": body.get("metadata") or {},
            "output": [{"type": "message", "id": f"msg_{uuid.uuid4().hex}", "status": "completed", "role": "assistant",
                        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]}],
            "parallel_tool_calls": True, "temperature": body.get("temperature", 1.0), "tool_choice": "auto",
            "tools": [], "top_p": 1.0, "text": {"format": fmt or {"type": "text"}},
            "usage": {"input_tokens": in_tokens, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                      "output_tokens": out_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": in_tokens + out_tokens},
        }, started)

    # ------------------------------------------------------------ embeddings

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        started = time.perf_counter()
        body, problem = await read(request)
        if problem:
            return problem
        problem = first_error(unknown(EMBEDDING_PARAMS, body), missing(body, "model", "input"))
        if problem:
            return problem
        model, raw = body["model"], body["input"]
        inputs = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else None
        if inputs and all(isinstance(i, int) for i in inputs):
            inputs = [inputs]  # one token array
        if not inputs or len(inputs) > 2048 or any(i in ("", []) for i in inputs):
            return error(400, "'$.input' is invalid. Please check the API reference: "
                              "https://platform.openai.com/docs/api-reference.")
        native = EMBEDDING_SIZES.get(model, 1536)
        dims = body.get("dimensions")
        if dims is not None:
            if "text-embedding-3" not in model:
                return error(400, "This model does not support specifying dimensions.", param="dimensions")
            if not isinstance(dims, int) or dims < 1 or dims > native:
                return error(400, f"Invalid value for 'dimensions' = {dims}. Must be between 1 and {native}.",
                             param="dimensions", code="invalid_value")
        dims = dims or native
        texts = [i if isinstance(i, str) else " ".join(map(str, i)) for i in inputs]
        from lily.local.sentence_embeddings import embed  # the local sentence model (loaded on first use)

        data = []
        for index, vector in enumerate(embed(texts, dims)):
            if body.get("encoding_format") == "base64":
                vector = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        used = sum(tokens(t) for t in texts)
        return answer({"object": "list", "data": data, "model": model,
                       "usage": {"prompt_tokens": used, "total_tokens": used}}, started)

    # ------------------------------------------------------------ moderation

    @app.post("/v1/moderations")
    async def moderations(request: Request) -> Response:
        started = time.perf_counter()
        body, problem = await read(request)
        if problem:
            return problem
        problem = first_error(unknown(MODERATION_PARAMS, body), missing(body, "input"))
        if problem:
            return problem
        raw = body["input"]
        if isinstance(raw, str):
            groups = [[("text", raw)]]
        elif isinstance(raw, list) and all(isinstance(i, str) for i in raw):
            groups = [[("text", i)] for i in raw]
        elif isinstance(raw, list) and all(isinstance(i, dict) for i in raw):
            groups = [[("image" if i.get("type") == "image_url" else "text", str(i.get("text", ""))) for i in raw]]
        else:
            return error(400, "Invalid type for 'input'.", param="input", code="invalid_type")
        images, problem = image_verdicts(state.gallery, raw, state.config["image_moderation_terms"])
        if problem:
            return error(400, problem, param="input", code="invalid_value")
        terms: dict[str, list[str]] = state.config["moderation_terms"]
        results = []
        for group in groups:
            text = " ".join(t for k, t in group if k == "text").lower()
            kinds = sorted({k for k, _ in group})
            hits = {cat for cat, words in terms.items()
                    if any(re.search(rf"(?<!\w){re.escape(w.lower())}(?!\w)", text) for w in words)} | images
            results.append({
                "flagged": bool(hits),
                "categories": {c: c in hits for c in MODERATION_CATEGORIES},
                "category_scores": {c: (0.93 if c in hits else 0.0004) for c in MODERATION_CATEGORIES},
                "category_applied_input_types": {
                    c: [k for k in kinds if k == "text" or c in IMAGE_CAPABLE] for c in MODERATION_CATEGORIES},
            })
        return answer({"id": f"modr-{uuid.uuid4().hex[:24]}", "model": body.get("model") or "omni-moderation-latest",
                       "results": results}, started)

    # ------------------------------------------------------------ images

    @app.post("/v1/images/generations")
    async def images(request: Request) -> Response:
        started = time.perf_counter()
        body, problem = await read(request)
        if problem:
            return problem
        model = body.get("model")
        if not model:
            # the provider's default image model is of the banned family: Lily always sends one
            return error(400, "Missing required parameter: 'model'.", param="model", code="missing_required_parameter")
        if model in RETIRED_IMAGE_MODELS:
            return error(400, f"The model `{model}` has been fully deprecated. Please use `grok-imagine-image` "
                              "instead.", param="model", code="model_not_found")
        xai = model.startswith("grok-")
        problem = first_error(unknown(XAI_IMAGE_PARAMS if xai else GPT_IMAGE_PARAMS, body), missing(body, "prompt"),
                              out_of_range(body, "n", 1, 10))
        if problem:
            return problem
        try:
            out = image_answer(state, body, xai, str(request.base_url).rstrip("/"))
        except ImageParamError as exc:
            return error(400, exc.message, param=exc.param, code=exc.code)
        return answer(out, started)

    @app.get("/_sandbox/images/{image_id}")
    def image_file(image_id: str) -> Response:
        with state.lock:
            data = state.images.get(image_id)
        if not data:
            return error(404, "No such image")
        return Response(data, media_type="image/jpeg" if data.startswith(b"\xff\xd8") else "image/png")

    @app.get("/v1/models")
    def models(request: Request) -> Response:
        if (problem := unauthorized(request)) is not None:
            return problem
        names = ["gpt-4.1-mini", "gpt-4o-mini", "grok-3-mini", "omni-moderation-latest", "gpt-image-1",
                 "grok-imagine-image", *EMBEDDING_SIZES]
        return JSONResponse({"object": "list", "data": [
            {"id": n, "object": "model", "created": 0, "owned_by": "sandbox"} for n in names]})

    @app.get("/_sandbox/requests")
    def requests_seen() -> list[dict]:
        with state.lock:
            return list(state.requests)

    return app, state


def start() -> Sandbox:
    app, state = build()
    server = ThreadedServer(app).start()
    base = server.base_url
    sandbox = Sandbox(name="openai", base_url=base, server=server,
                      env={"LILY_AI_OPENAI_BASE_URL": f"{base}/v1", "LILY_AI_XAI_BASE_URL": f"{base}/v1"})
    sandbox.state = state  # type: ignore[attr-defined]
    return sandbox
