"""Text: ``POST /v1/chat/completions`` and ``POST /v1/responses`` (plain text, ``json_object``, and
``json_schema`` structured output filled from the schema), written by :mod:`.textgen` (seeded by the request);
a vision chat about an image the sandbox drew answers from what is in it (:mod:`.image_params`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes.openai.image_params import vision_facts
from lily.local.sandboxes.openai.state import AIState
from lily.local.sandboxes.openai.textgen import (
    Brief,
    brief_of,
    hashtags,
    write_post,
    write_sentence,
    write_title,
)
from lily.local.sandboxes.openai.wire import (
    answer,
    error,
    first_error,
    missing,
    not_one_of,
    out_of_range,
    read,
    strict_schema_problem,
    tokens,
    unknown,
)

CHAT_PARAMS = {
    "messages", "model", "audio", "frequency_penalty", "prompt_cache_retention", "function_call", "functions",
    "logit_bias", "logprobs",
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
# Ranges and values of chat parameters, as the OpenAI OpenAPI document gives them (CreateChatCompletionRequest;
# tests/integration/sandboxes/test_openai_spec.py holds these tables to the document).
CHAT_BOUNDS = {"temperature": (0, 2), "top_p": (0, 1), "n": (1, 128), "top_logprobs": (0, 20),
               "frequency_penalty": (-2, 2), "presence_penalty": (-2, 2)}
CHAT_VALUES = {"reasoning_effort": ("none", "minimal", "low", "medium", "high", "xhigh", "max"),
               "service_tier": ("auto", "default", "flex", "scale", "priority", "fast"),
               "verbosity": ("low", "medium", "high"), "prompt_cache_retention": ("in_memory", "24h")}
CHAT_VALUES_OR_OBJECT = {"function_call": ("none", "auto"), "tool_choice": ("none", "auto", "required")}
PLATFORMS = {"x", "twitter", "facebook", "instagram", "linkedin"}
# Models that read images (the rest answer 400 to an image part, as xAI's grok-3-mini does).
VISION_MODELS = {"gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini", "gpt-4o", "gpt-5-mini", "grok-2-vision-1212", "grok-4"}
# Reasoning models accept only the default temperature (OpenAI answers 400 unsupported_value).
REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def refused_for_model(body: dict) -> JSONResponse | None:
    model = str(body.get("model"))
    if model.startswith(REASONING_PREFIXES) and body.get("temperature", 1) != 1:
        return error(400, f"Unsupported value: 'temperature' does not support {body['temperature']} with this "
                          "model. Only the default (1) value is supported.", param="temperature",
                     code="unsupported_value")
    has_image = any(isinstance(m, dict) and isinstance(m.get("content"), list)
                    and any(isinstance(p, dict) and p.get("type") == "image_url" for p in m["content"])
                    for m in body.get("messages") or [])
    if has_image and model not in VISION_MODELS:
        return error(400, f"Model {model} does not support image input.", param="messages",
                     code="invalid_value")
    return None


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
        items = schema.get("items") or {"type": "string"}
        if brief.sections and items.get("type") == "object" and n <= len(brief.sections):
            # one object per numbered section of the user content (a theme each): its own topic
            return [fill(items, (*path, str(i)), dataclasses.replace(brief, topic=brief.sections[i], keywords=[],
                                                                     sections=[]), seed, defs, known)
                    for i in range(n)]
        return [fill(items, (*path, str(i)), brief, seed, defs, known) for i in range(n)]
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    name = next((p for p in reversed(path) if not p.isdigit()), "")
    platform = next((p for p in path if p in PLATFORMS), brief.platform)
    if name == "title":
        return write_title(brief, (seed, *path))
    if name in ("text", "content", "body", "caption", "post"):
        return write_post(brief, (seed, *path), platform=platform)
    if name in ("parts", "tweets", "posts"):
        return write_post(brief, (seed, *path), platform="x", sentences=2)
    return write_sentence(brief, (seed, *path))


def compose(model: str, system: str, user: str, fmt: dict | None, index: int, max_tokens: int | None,
            known: dict[str, Any] | None = None) -> tuple[str, str]:
    """(text, finish_reason) for one answer (``known``: what the sandbox saw in the request's images)."""
    brief = brief_of(f"{system}\n{user}", user)
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
        if spec.get("strict") and (problem := strict_schema_problem(spec["schema"])):
            return error(400, f"Invalid schema for response_format '{spec.get('name')}': {problem}",
                         param=param, code="invalid_json_schema")
    return None


def router(state: AIState) -> APIRouter:
    api = APIRouter()

    @api.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        started = time.perf_counter()
        body, problem = await read(state, request)
        if problem:
            return problem
        problem = first_error(unknown(CHAT_PARAMS, body), missing(body, "model", "messages"),
                              *(out_of_range(body, name, lo, hi) for name, (lo, hi) in CHAT_BOUNDS.items()),
                              *(not_one_of(body, name, values) for name, values in CHAT_VALUES.items()),
                              *(not_one_of(body, name, values, objects=True)
                                for name, values in CHAT_VALUES_OR_OBJECT.items()),
                              check_format(body.get("response_format"), "response_format"),
                              refused_for_model(body))
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

    @api.post("/v1/responses")
    async def responses(request: Request) -> Response:
        started = time.perf_counter()
        body, problem = await read(state, request)
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
        return answer({
            "id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": int(time.time()),
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

    return api
