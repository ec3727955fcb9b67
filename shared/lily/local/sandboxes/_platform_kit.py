"""Machinery shared by the social platform sandboxes (x, meta, linkedin): grants, single-use codes,
posts, switchable faults, an approving authorize page, signed webhook delivery, inspection routes.

Every sandbox app answers these test/operator routes:

- ``POST /_sandbox/faults`` ``{"kind": "429"|"5xx"|"slow"|"timeout_after_accept"|"malformed", "count": 1, "reset_s": 60,
  "delay_s": 3, "path": "/2/tweets", "method": "POST"}`` queues faults for the next matching API calls;
  ``GET`` lists them, ``DELETE`` clears them.
- ``GET /_sandbox/posts`` every post created (also deleted ones, flagged), so a test can assert exactly-once.
- ``POST /_sandbox/expire`` ``{"access": true, "refresh": false, "user": null}`` expires/revokes grants.
- ``GET|POST /_sandbox/config`` the platform's switches (UNVERIFIED behaviours are configurable there).
- ``POST /_sandbox/webhooks/deliver`` ``{"url", "payload"}`` POSTs a webhook signed as the platform signs.
- ``POST /_sandbox/reset`` forgets everything.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import itertools
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
from fastapi import Body, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field


class Fault(BaseModel):
    kind: Literal["429", "5xx", "slow", "timeout_after_accept", "malformed"]
    count: int = Field(1, ge=1, le=1000)
    reset_s: int = Field(60, ge=0, description="429: seconds until the window resets")
    delay_s: float = Field(3.0, ge=0, le=120, description="slow / timeout_after_accept: seconds to hold the answer")
    path: str | None = Field(None, description="Only API paths containing this")
    method: str | None = None


@dataclass
class Grant:
    user: str
    client_id: str
    scopes: list[str]
    expires_at: float | None
    revoked: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def live(self) -> bool:
        return not self.revoked and (self.expires_at is None or self.expires_at > time.time())


def stable_id(*parts: str, digits: int = 18) -> str:
    """A deterministic numeric id (platform ids are numeric strings)."""
    h = int(hashlib.sha256(":".join(parts).encode()).hexdigest(), 16)
    return str(h % (10**digits)).rjust(digits, "1")


class PlatformState:
    def __init__(self, name: str, config: dict[str, Any]) -> None:
        self.name = name
        self.defaults = dict(config)
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "lock", threading.RLock()):
            self.config: dict[str, Any] = dict(self.defaults)
            self.codes: dict[str, dict[str, Any]] = {}
            self.access: dict[str, Grant] = {}
            self.refresh: dict[str, Grant] = {}
            self.posts: dict[str, dict[str, Any]] = {}
            self.media: dict[str, dict[str, Any]] = {}
            self.faults: list[Fault] = []
            self.calls: list[tuple[str, str]] = []
            self.windows: dict[tuple[str, str], list[float]] = {}  # rate windows: (endpoint, who) → [start, used]
            self.seq = itertools.count(1)

    def next_id(self, prefix: str = "") -> str:
        with self.lock:
            n = next(self.seq)
        return f"{prefix}{int(time.time() * 1000)}{n:04d}"

    def issue_code(self, **info: Any) -> str:
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {**info, "issued_at": time.time()}
        return code

    def take_code(self, code: str, ttl_s: float) -> dict[str, Any] | None:
        """Single use: a code is gone after its first presentation, valid or not."""
        with self.lock:
            info = self.codes.pop(code, None)
        if info is None or time.time() - info["issued_at"] > ttl_s:
            return None
        return info

    def issue_tokens(
        self,
        user: str,
        client_id: str,
        scopes: list[str],
        expires_in: int | None,
        with_refresh: bool = True,
        **extra: Any,
    ) -> dict[str, Any]:
        access = f"{self.name}-at-{secrets.token_urlsafe(24)}"
        exp = time.time() + expires_in if expires_in else None
        grant = Grant(user, client_id, scopes, exp, extra=extra)
        out: dict[str, Any] = {"access_token": access, "token_type": "bearer"}
        if expires_in:
            out["expires_in"] = expires_in
        with self.lock:
            self.access[access] = grant
            if with_refresh:
                rt = f"{self.name}-rt-{secrets.token_urlsafe(24)}"
                self.refresh[rt] = Grant(user, client_id, scopes, None, extra=extra)
                out["refresh_token"] = rt
        return out

    def grant_for(self, token: str | None) -> Grant | None:
        with self.lock:
            g = self.access.get(token or "")
        return g if g and g.live() else None

    def revoke_grant(self, token: str) -> int:
        """Revoking a token ends the whole grant: every access and refresh token of that user and client."""
        with self.lock:
            g = self.access.get(token) or self.refresh.get(token)
            if g is None:
                return 0
            n = 0
            for table in (self.access, self.refresh):
                for other in table.values():
                    if other.user == g.user and other.client_id == g.client_id and not other.revoked:
                        other.revoked, n = True, n + 1
            return n

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for i, f in enumerate(self.faults):
                if (f.path is None or f.path in path) and (f.method is None or f.method.upper() == method):
                    f.count -= 1
                    if f.count <= 0:
                        self.faults.pop(i)
                    return f.model_copy()
        return None

    def user_posts(self, user: str) -> list[dict[str, Any]]:
        with self.lock:
            return [p for p in self.posts.values() if p.get("owner") == user and not p.get("deleted")]


PKCE_METHODS = ("S256", "plain")
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 §4.1: unreserved characters, 43 to 128 of them


def pkce_verifies(challenge: str, method: str, verifier: str | None) -> bool:
    """RFC 7636 §4.6, as the authorization servers check it: the verifier is well formed and
    ``BASE64URL(SHA256(verifier))`` (``S256``) or the verifier itself (``plain``) equals the challenge."""
    if not verifier or not _VERIFIER.fullmatch(verifier) or method not in PKCE_METHODS:
        return False
    if method == "S256":
        verifier = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return hmac.compare_digest(verifier, challenge)


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.query_params.get("access_token")


def count_in_window(state: PlatformState, key: str, who: str, limit: int, window_s: int) -> tuple[int, int]:
    """Count one call of ``who`` to endpoint ``key`` in its fixed window (opened by the first call);
    returns (remaining after this call, window reset epoch s); remaining is -1 when the limit was reached
    (the call is refused and not counted)."""
    now = time.time()
    with state.lock:
        window = state.windows.get((key, who))
        if window is None or now >= window[0] + window_s:
            window = state.windows[(key, who)] = [now, 0]
        reset = int(window[0] + window_s)
        if window[1] >= limit:
            return -1, reset
        window[1] += 1
        return limit - int(window[1]), reset


def approve_flow(request: Request, form: dict[str, str], issue: Callable[[str], str], title: str) -> Response:
    """The authorize page: ``auto=1`` (or a POST) approves and 302s to ``redirect_uri`` with code and state;
    ``deny=1`` answers ``error=access_denied``; otherwise an HTML page with Approve / Deny buttons."""
    redirect_uri, state = form.get("redirect_uri", ""), form.get("state", "")
    user = form.get("sandbox_user") or "alice"
    sep = "&" if "?" in redirect_uri else "?"
    if form.get("deny") == "1":
        return RedirectResponse(f"{redirect_uri}{sep}{urlencode({'error': 'access_denied', 'state': state})}", 302)
    if request.method == "POST" or form.get("auto") == "1":
        code = issue(user)
        return RedirectResponse(f"{redirect_uri}{sep}{urlencode({'code': code, 'state': state})}", 302)
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in form.items()
        if k not in ("sandbox_user",)
    )
    page = f"""<!doctype html><html><head><title>{html.escape(title)}</title></head><body>
<h1>{html.escape(title)} (sandbox)</h1>
<p>Lily asks for: <code>{html.escape(form.get("scope", ""))}</code></p>
<form method="post">{hidden}
<label>Sandbox user <input name="sandbox_user" value="{html.escape(user)}"></label>
<button type="submit">Approve</button></form>
<p><a href="{html.escape(redirect_uri + sep + urlencode({"error": "access_denied", "state": state}))}">Deny</a></p>
</body></html>"""
    return HTMLResponse(page)


async def form_of(request: Request) -> dict[str, str]:
    data = dict(request.query_params)
    if request.method == "POST":
        data.update({k: str(v) for k, v in (await request.form()).items()})
    return data


def sandbox_app(
    state: PlatformState,
    title: str,
    *,
    rate_limited: Callable[[Fault], Response],
    server_error: Callable[[], Response],
    signer: Callable[[bytes], dict[str, str]],
    api_prefixes: tuple[str, ...],
    decorate: Callable[[Request, Response], None] | None = None,
    gate: Callable[[Request], Response | None] | None = None,
) -> FastAPI:
    """``gate`` runs before each API call that met no fault: a response it returns is the answer (a rate
    limit reached); ``decorate`` adds the platform's headers to every API answer."""
    app = FastAPI(title=title, openapi_url=None, docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def _faults(request: Request, call_next):
        path = request.url.path
        if not path.startswith(api_prefixes):
            return await call_next(request)
        with state.lock:
            state.calls.append((request.method, path))
        fault = state.take_fault(request.method, path)
        if fault and fault.kind == "429":
            response = rate_limited(fault)
        elif fault and fault.kind == "5xx":
            response = server_error()
        elif fault and fault.kind == "malformed":  # a 200 whose JSON body is cut short
            response = Response(b'{"id": "truncated', status_code=200, media_type="application/json")
        elif gate and (refused := gate(request)) is not None:
            response = refused
        else:
            if fault and fault.kind == "slow":
                await asyncio.sleep(fault.delay_s)
            response = await call_next(request)
            if fault and fault.kind == "timeout_after_accept":
                await asyncio.sleep(fault.delay_s)  # the work is done; the caller times out waiting
        if decorate:
            decorate(request, response)
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
            if body.get("access", True):
                for g in state.access.values():
                    if user is None or g.user == user:
                        g.revoked, n = True, n + 1
            if body.get("refresh", False):
                for g in state.refresh.values():
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
        import json

        raw = json.dumps(body["payload"], separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", **signer(raw)}
        resp = httpx.post(body["url"], content=raw, headers=headers, timeout=10)
        return {"status": resp.status_code, "body": resp.text[:500], "headers": headers}

    return app


def json_error(status: int, body: dict, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)
