"""The app every platform sandbox (x, meta, linkedin, openai) starts from: queued faults applied to its API
calls, and the test/operator routes under ``/_sandbox``:

- ``POST /_sandbox/faults`` ``{"kind": "429"|"5xx"|"slow"|"timeout_after_accept"|"malformed", "count": 1, "reset_s": 60,
  "delay_s": 3, "path": "/2/tweets", "method": "POST"}`` queues faults for the next matching API calls;
  ``GET`` lists them, ``DELETE`` clears them.
- ``GET /_sandbox/posts`` every post created (also deleted ones, flagged), so a test can assert exactly-once;
  ``GET /_sandbox/calls`` every API call (method, path).
- ``POST /_sandbox/expire`` ``{"access": true, "refresh": false, "user": null}`` expires/revokes grants.
- ``GET|POST /_sandbox/config`` the platform's switches (UNVERIFIED behaviours are configurable there).
- ``POST /_sandbox/webhooks/deliver`` ``{"url", "payload"}`` POSTs a webhook signed as the platform signs.
- ``POST /_sandbox/reset`` forgets everything.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes.kit import Fault, PlatformState


@dataclass(frozen=True)
class Wire:
    """How a platform answers outside its routes: ``rate_limited`` and ``server_error`` (the injected 429 and
    5xx), ``signer`` (its webhook signature headers), ``api_prefixes`` (the paths faults apply to); ``gate`` runs
    before each API call that met no fault (a response it returns is the answer: a rate limit reached);
    ``decorate`` adds the platform's headers to every API answer."""

    rate_limited: Callable[[Fault], Response]
    server_error: Callable[[], Response]
    signer: Callable[[bytes], dict[str, str]]
    api_prefixes: tuple[str, ...]
    decorate: Callable[[Request, Response], None] | None = None
    gate: Callable[[Request], Response | None] | None = None


def sandbox_app(state: PlatformState, title: str, wire: Wire) -> FastAPI:
    app = FastAPI(title=title, openapi_url=None, docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def _faults(request: Request, call_next):
        path = request.url.path
        if not path.startswith(wire.api_prefixes):
            return await call_next(request)
        with state.lock:
            state.calls.append((request.method, path))
        fault = state.take_fault(request.method, path)
        if fault and fault.kind == "429":
            response = wire.rate_limited(fault)
        elif fault and fault.kind == "5xx":
            response = wire.server_error()
        elif fault and fault.kind == "malformed":  # a 200 whose JSON body is cut short
            response = Response(b'{"id": "truncated', status_code=200, media_type="application/json")
        elif wire.gate and (refused := wire.gate(request)) is not None:
            response = refused
        else:
            if fault and fault.kind == "slow":
                await asyncio.sleep(fault.delay_s)
            response = await call_next(request)
            if fault and fault.kind == "timeout_after_accept":
                await asyncio.sleep(fault.delay_s)  # the work is done; the caller times out waiting
        if wire.decorate:
            wire.decorate(request, response)
        return response

    @app.post("/_sandbox/faults")
    def add_fault(fault: Fault) -> dict:
        with state.lock:
            state.faults.append(fault)
            return {"queued": [f.model_dump() for f in state.faults]}

    @app.get("/_sandbox/faults")
    def list_faults() -> list[dict]:
        with state.lock:
            return [f.model_dump() for f in state.faults]

    @app.delete("/_sandbox/faults")
    def clear_faults() -> dict:
        with state.lock:
            state.faults.clear()
        return {"cleared": True}

    @app.get("/_sandbox/posts")
    def posts() -> list[dict]:
        with state.lock:
            return [dict(p) for p in state.posts.values()]

    @app.get("/_sandbox/calls")
    def calls() -> list[list[str]]:
        with state.lock:
            return [list(c) for c in state.calls]

    @app.post("/_sandbox/expire")
    def expire(body: dict = Body(default_factory=dict)) -> dict:
        user = body.get("user")
        n = 0
        with state.lock:
            tables = ([state.access] if body.get("access", True) else []) + (
                [state.refresh] if body.get("refresh", False) else [])
            for table in tables:
                for g in table.values():
                    if user is None or g.user == user:
                        g.revoked, n = True, n + 1
        return {"expired": n}

    @app.get("/_sandbox/config")
    def get_config() -> dict:
        return dict(state.config)

    @app.post("/_sandbox/config")
    def set_config(body: dict = Body(...)) -> dict:
        with state.lock:
            state.config.update(body)
            return dict(state.config)

    @app.post("/_sandbox/reset")
    def reset() -> dict:
        state.reset()
        return {"reset": True}

    @app.post("/_sandbox/webhooks/deliver")
    def deliver(body: dict = Body(...)) -> dict:
        raw = json.dumps(body["payload"], separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", **wire.signer(raw)}
        resp = httpx.post(body["url"], content=raw, headers=headers, timeout=10)
        return {"status": resp.status_code, "body": resp.text[:500], "headers": headers}

    return app


def json_error(status: int, body: dict, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)
