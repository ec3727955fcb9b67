"""``/_local/webhook-sink``: a webhook receiver for local mode that stores and shows what Lily delivered.

Point a subscription at ``http://127.0.0.1:8000/_local/webhook-sink/<channel>`` (local mode allows its own gateway
through the SSRF guard: ``LILY_WEBHOOKS_ALLOWED_PRIVATE``, and plain http: ``LILY_WEBHOOKS_HTTPS_ONLY=false``).

- ``POST /_local/webhook-sink/{channel}``: stores the raw body and the ``Lily-*`` headers and answers 200, or the
  status named by ``?status=`` (``?status=500`` makes Lily retry).
- ``GET /_local/webhook-sink?channel=&secret=&limit=``: what arrived, newest first; with ``secret`` (the
  subscription's ``whsec_...``), each delivery says whether its signature verifies (the docs' algorithm).
- ``DELETE /_local/webhook-sink``: forget everything.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import deque

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from lily.core import clock

router = APIRouter(prefix="/webhook-sink", tags=["local"])
_received: deque[dict] = deque(maxlen=1000)
_lock = threading.Lock()


def _verifies(item: dict, secret: str) -> bool:
    ts, sig = item["headers"].get("lily-timestamp", ""), item["headers"].get("lily-signature", "")
    expected = "v1=" + hmac.new(secret.encode(), f"{ts}.".encode() + item["body"].encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sig)


@router.post("/{channel}")
async def receive(channel: str, request: Request, status: int = Query(200, ge=200, le=599)) -> JSONResponse:
    body = await request.body()
    item = {"channel": channel, "received_at": clock.iso(), "received_ts": time.time(),
            "headers": {k: v for k, v in request.headers.items() if k.startswith("lily-") or k == "content-type"},
            "body": body.decode("utf-8", errors="replace")}
    with _lock:
        _received.append(item)
    return JSONResponse({"received": True, "status": status}, status_code=status)


@router.get("")
def received(channel: str | None = None, secret: str | None = None,
             limit: int = Query(50, ge=1, le=1000)) -> list[dict]:
    with _lock:
        items = [dict(i) for i in reversed(_received) if channel is None or i["channel"] == channel][:limit]
    if secret:
        for item in items:
            item["verified"] = _verifies(item, secret)
    return items


@router.delete("")
def clear() -> dict:
    with _lock:
        n = len(_received)
        _received.clear()
    return {"cleared": n}
