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
- ``POST /_sandbox/engagement`` ``{"kind": "comment"|"mention"|"reply", "account_id", "text", ...}`` makes a comment,
  mention or reply happen to a connected account: the platform builds its webhook event, signs it and delivers it to
  Lily (``webhook_url`` in the config, else ``{LILY_PUBLIC_BASE_URL}`` + the platform's webhook path); the answer
  carries the event, the signed raw body and headers (to replay), Lily's answer and how long it took
  (``elapsed_ms``). ``GET`` lists what happened.
- ``POST /_sandbox/reset`` forgets everything.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import httpx
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from lily.local.sandboxes.kit import Fault, PlatformState


class Engagement(BaseModel):
    """A comment, mention or reply to make happen to ``account_id`` (the X user id, the Page or Instagram account
    id, the LinkedIn organization URN)."""

    kind: Literal["comment", "mention", "reply"]
    account_id: str = Field(min_length=1)
    platform: Literal["facebook", "instagram"] | None = Field(None, description="Meta only (default facebook)")
    text: str = "Love this!"
    post_id: str | None = Field(None, description="The account's post it is about (a new id when absent)")
    parent_id: str | None = Field(None, description="reply: the comment or post it answers")
    author_id: str = "sandbox-fan-1"
    author_name: str = "sandbox_fan"
    url: str | None = Field(None, description="Deliver here instead of the configured webhook URL")


class Wire(NamedTuple):
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
    engagement: Callable[[Engagement], dict[str, Any]] | None = None  # the platform's webhook event for one
    webhook_path: str = ""  # where Lily listens for this platform's webhooks


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

    def send(url: str, payload: dict) -> dict:
        raw = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", **wire.signer(raw)}
        resp = httpx.post(url, content=raw, headers=headers, timeout=10)
        return {"status": resp.status_code, "body": resp.text[:500], "headers": headers, "raw": raw.decode(),
                "elapsed_ms": round(resp.elapsed.total_seconds() * 1000, 1)}

    @app.post("/_sandbox/webhooks/deliver")
    def deliver(body: dict = Body(...)) -> dict:
        return send(body["url"], body["payload"])

    if wire.engagement is not None:
        make_event = wire.engagement

        @app.post("/_sandbox/engagement")
        def engage(body: Engagement) -> dict:
            event = make_event(body)
            with state.lock:
                state.engagements.append(event)
            url = body.url or state.config.get("webhook_url") or (
                os.environ.get("LILY_PUBLIC_BASE_URL", "").rstrip("/") + wire.webhook_path)
            if not url.startswith("http"):
                return {"event": event, "delivered": False, "reason": "no webhook URL configured"}
            return {"event": event, "delivered": True, **send(url, event)}

        @app.get("/_sandbox/engagement")
        def engagements() -> list[dict]:
            with state.lock:
                return list(state.engagements)

    return app


def json_error(status: int, body: dict, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)
