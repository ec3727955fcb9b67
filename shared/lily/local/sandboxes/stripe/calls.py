"""One API call as Stripe serves it: the secret key (``Authorization: Bearer sk_...``), the parameters (form body
and query in bracket notation), ``Idempotency-Key`` (the first result replayed; the same key with other
parameters an ``idempotency_error``), ``expand[]`` on the answer, and a ``Request-Id``."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse

from lily.local.sandboxes.stripe.lifecycle import StripeState
from lily.local.sandboxes.stripe.wire import StripeApiError, invalid, new_id, parse_form


def authorize(state: StripeState, request: Request) -> None:
    auth = request.headers.get("authorization", "")
    if auth != f"Bearer {state.api_key}":
        shown = auth[7:15] + "*" * 8 if auth.startswith("Bearer ") else ""
        raise StripeApiError(401, "invalid_request_error", f"Invalid API Key provided: {shown}")


async def params_of(request: Request) -> dict:
    body = (await request.body()).decode()
    pairs = parse_qsl(body, keep_blank_values=True) + parse_qsl(request.url.query, keep_blank_values=True)
    return parse_form(pairs)


async def call(state: StripeState, request: Request, fn: Callable[[dict], dict]) -> JSONResponse:
    """Answer ``fn(params)`` (raising :class:`StripeApiError` answers Stripe's error)."""
    authorize(state, request)
    params = await params_of(request)
    key = request.headers.get("idempotency-key")
    fingerprint = json.dumps([request.method, request.url.path, params], sort_keys=True)
    with state.lock:
        state.requests.append({"method": request.method, "path": request.url.path, "params": params,
                               "idempotency_key": key})
        if request.method == "POST" and key:
            if len(key) > 255:
                raise invalid("Idempotency keys are at most 255 characters")
            seen = state.idempotency.get(key)
            if seen is not None:
                if seen[0] != fingerprint:
                    raise StripeApiError(
                        400, "idempotency_error",
                        f"Keys for idempotent requests can only be used with the same parameters they were "
                        f"first used with. Try using a key other than '{key}' if you meant to execute a "
                        f"different request.")
                return JSONResponse(seen[2], status_code=seen[1],
                                    headers={"Idempotent-Replayed": "true", "Request-Id": new_id("req")})
        try:
            result = fn(params)
            status = 200
        except StripeApiError as exc:
            if request.method == "POST" and key and exc.status >= 500:
                state.idempotency[key] = (fingerprint, exc.status, json.loads(exc.response().body))
            raise
        body = state.expand(json.loads(json.dumps(result)), params.get("expand"))
        if request.method == "POST" and key:
            state.idempotency[key] = (fingerprint, status, body)
    return JSONResponse(body, status_code=status, headers={"Request-Id": new_id("req")})
