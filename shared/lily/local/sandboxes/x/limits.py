"""X's rate limits and how X answers outside its routes: per-user 15-minute windows per endpoint with
``x-rate-limit-*`` headers (and the 24-hour post caps on ``POST /2/tweets``), the injected 429 and 503, and the
webhook signature (``x-twitter-webhooks-signature``: base64 HMAC-SHA256 of the body with the consumer secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes.controls import Wire
from lily.local.sandboxes.kit import Fault, local_secret
from lily.local.sandboxes.oauth import bearer
from lily.local.sandboxes.x.problems import problem
from lily.local.sandboxes.x.state import XState
from lily.local.sandboxes.x.webhooks import engagement


def endpoint_of(method: str, path: str) -> str:
    """``GET /2/users/123/tweets`` → ``GET /2/users/:id/tweets`` (X limits per endpoint, not per object)."""
    version, rest = path[:2], path[2:]  # "/2" stays
    return f"{method} {version}" + re.sub(r"/\d+(?=/|$)", "/:id", rest)


def too_many(limit: int, reset: int) -> Response:
    return JSONResponse(
        {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
        status_code=429,
        headers={"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
    )


def wire(state: XState) -> Wire:
    def rate_limited(f: Fault) -> Response:
        return too_many(100, int(time.time()) + f.reset_s)

    def server_error() -> Response:
        return problem(503, "Service Unavailable", "Service Unavailable")

    def gate(request: Request) -> Response | None:
        """Count the call in its user's 15-minute window for the endpoint; a spent window is a 429."""
        if request.url.path.startswith("/2/oauth2/"):
            return None
        endpoint = endpoint_of(request.method, request.url.path)
        token = bearer(request) or "anonymous"
        grant = state.grant_for(token)
        limit = state.limit_of(endpoint)
        remaining, reset = state.count_in_window(endpoint, grant.user if grant else token, limit, 900)
        request.state.rate = (limit, max(remaining, 0), reset)
        return too_many(limit, reset) if remaining < 0 else None

    def decorate(request: Request, response: Response) -> None:
        rate = getattr(request.state, "rate", None)
        if "x-rate-limit-reset" in response.headers or rate is None:
            return
        limit, remaining, reset = rate
        response.headers["x-rate-limit-limit"] = str(limit)
        response.headers["x-rate-limit-remaining"] = str(remaining)
        response.headers["x-rate-limit-reset"] = str(reset)
        if request.url.path == "/2/tweets" and request.method == "POST":
            day_ago = time.time() - 86400
            with state.lock:
                recent = [p for p in state.posts.values() if p["created_ts"] > day_ago]
            grant = state.grant_for(bearer(request))
            mine = [p for p in recent if grant and p["owner"] == grant.user]
            reset_24h = str(int(min((p["created_ts"] for p in recent), default=time.time()) + 86400))
            for scope, lim, used in (("user", 10000, len(mine)), ("app", 10000, len(recent))):
                response.headers[f"x-{scope}-limit-24hour-limit"] = str(lim)
                response.headers[f"x-{scope}-limit-24hour-remaining"] = str(max(0, lim - used))
                response.headers[f"x-{scope}-limit-24hour-reset"] = reset_24h

    def signer(raw: bytes) -> dict[str, str]:
        mac = hmac.new(local_secret("social-apps")["x_consumer_secret"].encode(), raw, hashlib.sha256).digest()
        return {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(mac).decode()}

    return Wire(rate_limited=rate_limited, server_error=server_error, signer=signer, api_prefixes=("/2/",),
                decorate=decorate, gate=gate, engagement=lambda e: engagement(state, e), webhook_path="/webhooks/x")
