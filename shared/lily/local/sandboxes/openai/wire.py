"""How the OpenAI API speaks: its error body ``{"error": {message, type, param, code}}`` and the parameter
checks that produce it (unknown, missing, out of range), the API-key check, reading a JSON body, and the answer
with ``openai-processing-ms`` (the sandbox's own time)."""

from __future__ import annotations

import json
import math
import time

from fastapi import Request
from fastapi.responses import JSONResponse

from lily.local.sandboxes.oauth import bearer
from lily.local.sandboxes.openai.state import AIState


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


def unauthorized(state: AIState, request: Request) -> JSONResponse | None:
    key = bearer(request)
    if not key:
        return error(401, "You didn't provide an API key. You need to provide your API key in an "
                          "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
    if key not in state.config["api_keys"]:
        return error(401, f"Incorrect API key provided: {key[:3]}***{key[-4:]}.", code="invalid_api_key")
    return None


async def read(state: AIState, request: Request) -> tuple[dict, None] | tuple[None, JSONResponse]:
    """The JSON body after the key check (kept in ``state.requests``, the last 200), or the real error."""
    if (problem := unauthorized(state, request)) is not None:
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


def not_one_of(body: dict, name: str, allowed: tuple[str, ...], objects: bool = False) -> JSONResponse | None:
    """A string parameter outside its documented values (``objects``: an object form is also accepted)."""
    value = body.get(name)
    if value is None or (objects and isinstance(value, dict)) or value in allowed:
        return None
    quoted = ", ".join(f"'{a}'" for a in allowed)
    return error(400, f"Invalid value: '{value}'. Supported values are: {quoted}.", param=name, code="invalid_value")


def strict_schema_problem(schema: dict, where: tuple[str, ...] = (), depth: int = 0) -> str | None:
    """Why OpenAI's structured outputs refuse ``schema`` with ``strict: true`` (None when it takes it).

    From https://platform.openai.com/docs/guides/structured-outputs#supported-schemas: the root is an object
    (not ``anyOf``); every object sets ``additionalProperties: false`` and lists every property in ``required``;
    at most 10 levels of nesting; ``$defs`` / ``$ref`` / ``anyOf`` are followed."""
    if not where and (schema.get("type") != "object" or "anyOf" in schema):
        return "the root schema must be an object and not use anyOf"
    if depth > 10:
        return f"In context={where}, the schema nests more than 10 levels"
    if schema.get("type") == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if schema.get("additionalProperties") is not False:
            return f"In context={where}, 'additionalProperties' is required to be supplied and to be false."
        missed = sorted(set(props) - set(schema.get("required") or []))
        if missed:
            return (f"In context={where}, 'required' is required to be supplied and to be an array including every "
                    f"key in properties. Missing '{missed[0]}'.")
        for name, sub in props.items():
            if isinstance(sub, dict) and (problem := strict_schema_problem(sub, (*where, "properties", name),
                                                                           depth + 1)):
                return problem
    for key in ("items", "$defs", "definitions", "anyOf"):
        value = schema.get(key)
        subs = value.items() if isinstance(value, dict) and key in ("$defs", "definitions") else (
            [(key, value)] if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else [])
        for name, sub in subs:
            if isinstance(sub, dict) and (problem := strict_schema_problem(sub, (*where, key, str(name)),
                                                                           depth + (key == "items"))):
                return problem
    return None
