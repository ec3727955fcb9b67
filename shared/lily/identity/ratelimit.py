"""Counters in DynamoDB (atomic ADD with TTL) for rate limits and brute-force lockout.

Every instance of every function counts in the same table, so limits hold across Lambda
instances. Rate limits use fixed windows: ``rl#<who>#<class>#<window index>``.

The per-IP limit is :func:`rate_limit_middleware`; an HTTP function that wants it passes it to
``lily.core.http.create_app(..., middleware=[rate_limit_middleware])`` (core never imports identity).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from math import ceil

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from lily.core import clock
from lily.core.db import is_live
from lily.core.errors import ErrorCode, LilyError
from lily.core.http import error_response
from lily.core.observability import count, logger
from lily.core.openapi import declares
from lily.identity.models import Counter
from lily.identity.request_ip import CLIENT_IP
from lily.identity.settings import identity_settings

FAIL_OPEN_METRIC = "rate_limit_store_errors_total"
EXEMPT_PATHS = frozenset({"/health"})  # liveness only: /health/deep does real work and is limited
EXEMPT_PREFIXES = ("/_local", "/docs", "/openapi.json", "/favicon.ico")
# Routes whose limits guard passwords, second factors and mailboxes: when the counter store is unreachable they
# answer 503 SYSTEM_002 (the rest of the API fails open). Their routes declare 503.
FAIL_CLOSED_PATHS = frozenset({"/api/auth/login", "/api/auth/login/2fa", "/api/auth/register",
                               "/api/auth/password-reset/request", "/api/auth/password-reset/confirm",
                               "/api/auth/2fa/setup", "/api/auth/2fa/enable", "/api/auth/2fa/disable"})


def client_ip(request: Request | None = None) -> str:
    """The caller's address: API Gateway's sourceIp, else the socket peer. X-Forwarded-For is not trusted."""
    if request is None:
        return CLIENT_IP.get() or "unknown"
    event = request.scope.get("aws.event") or {}
    ip = ((event.get("requestContext") or {}).get("http") or {}).get("sourceIp")
    if not ip and request.client:
        ip = request.client.host
    return (ip or "unknown")[:64]


def route_class(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        if parts[1] == "orgs" and len(parts) >= 4:
            return f"orgs.{parts[3]}"
        return parts[1]
    return parts[0] if parts else "root"


def _ts(dt_or_none) -> datetime:
    return datetime.fromtimestamp(dt_or_none, tz=UTC)


def hit(key: str, ttl_s: int) -> int:
    """Atomically add one to ``key`` and return the new count (the item expires after ``ttl_s``)."""
    now = clock.now_ts()
    item = Counter(key)
    item.update(actions=[Counter.hits.add(1), Counter.last_at.set(now), Counter.expires_at.set(_ts(now + ttl_s))])
    return int(item.hits)


def window_hit(who: str, cls: str, window_s: int) -> tuple[int, float]:
    """Count one request in the current fixed window; returns (count, seconds until the window ends)."""
    now = clock.now_ts()
    index = int(now // window_s)
    n = hit(f"rl#{who}#{cls}#{index}", window_s * 2)
    return n, (index + 1) * window_s - now


def store_unavailable() -> LilyError:
    return LilyError(ErrorCode.SYSTEM_002, "Temporarily unavailable; try again shortly", {"retry_after_s": 30},
                     headers={"Retry-After": "30"})


def enforce(who: str, cls: str, limit: int, *, fail_closed: bool = False) -> None:
    """Count one request of ``who`` on route class ``cls``; RATE_001 beyond ``limit`` in the window.

    When the counter store is unreachable the limit fails open (the API stays up) and says so with the
    ``rate_limit_store_errors_total`` metric, which an alarm watches; ``fail_closed`` answers SYSTEM_002 (503)
    instead, for the routes that guard passwords and mailboxes (:data:`FAIL_CLOSED_PATHS`).
    """
    s = identity_settings()
    try:
        n, remaining = window_hit(who, cls, s.rate_limit_window_s)
    except Exception as exc:  # noqa: BLE001 - any store failure: botocore, pynamodb, timeouts
        count(FAIL_OPEN_METRIC, route_class=cls)
        logger.warning("rate limit store unreachable; " + ("refusing" if fail_closed else "allowing"),
                       extra={"error_type": type(exc).__name__, "route_class": cls})
        if fail_closed:
            raise store_unavailable() from None
        return
    if n > limit:
        count("rate_limit_hits_total", route_class=cls, kind=who.split("#", 1)[0])
        raise LilyError(ErrorCode.RATE_001, "Too many requests", {"retry_after_s": ceil(remaining)},
                        headers={"Retry-After": str(max(1, ceil(remaining)))})


def ip_limit_for(cls: str) -> int:
    s = identity_settings()
    return s.rate_limit_auth_ip if cls == "auth" else s.rate_limit_ip


@declares(errors=(429,))
async def rate_limit_middleware(request: Request, call_next):
    """Per-IP limit on every route class; the per-user limit runs after authentication."""
    path = request.url.path
    ip = client_ip(request)
    token = CLIENT_IP.set(ip)
    try:
        if request.method != "OPTIONS" and path not in EXEMPT_PATHS and not path.startswith(EXEMPT_PREFIXES):
            cls = route_class(path)
            try:
                await run_in_threadpool(enforce, f"ip#{ip}", cls, ip_limit_for(cls),
                                        fail_closed=path in FAIL_CLOSED_PATHS)
            except LilyError as exc:
                logger.warning("rate limited", extra={"route_class": cls, "code": exc.code.value})
                return error_response(exc.code, exc.message, request, exc.details, headers=exc.headers)
        return await call_next(request)
    finally:
        CLIENT_IP.reset(token)


# --- brute force -------------------------------------------------------------------------------------------


def _remaining(item: Counter | None, threshold: int) -> float:
    """Seconds a live failure counter at or over ``threshold`` still locks (0 when it is gone or expired)."""
    s = identity_settings()
    if not is_live(item):
        return 0.0
    hits = int(item.hits or 0)
    if hits < threshold:
        return 0.0
    delay = min(s.lockout_max_s, s.lockout_base_s * 2 ** (hits - threshold))
    return max(0.0, float(item.last_at or 0) + delay - clock.now_ts())


def _slowdown_s(item: Counter | None) -> float:
    """Delay for an attempt on an account that failed often from any IP: it grows, it never refuses."""
    s = identity_settings()
    if not is_live(item):
        return 0.0
    over = int(item.hits or 0) - s.lockout_threshold
    return 0.0 if over < 0 else min(s.login_slowdown_max_ms, s.login_slowdown_step_ms * (over + 1)) / 1000


def throttle_login(account_key: str, ip: str) -> None:
    """Before a password or second-factor check: AUTH_004 while this (account, IP) pair or this IP is locked.

    Failures lock the pair, never the account for everyone, so an attacker cannot lock its owner out; failures
    on the account from any IP only slow down its attempts (``login_slowdown_*``). The three counters are read
    with one BatchGetItem.
    """
    s = identity_settings()
    pair, by_ip, account = f"fail#acct#{account_key}#ip#{ip}", f"fail#ip#{ip}", f"fail#acct#{account_key}"
    found = {c.key: c for c in Counter.batch_get([pair, by_ip, account])}
    wait = max(_remaining(found.get(pair), s.lockout_threshold), _remaining(found.get(by_ip), s.ip_failure_threshold))
    if wait > 0:
        raise locked_error(wait)
    delay = _slowdown_s(found.get(account))
    if delay > 0:
        count("login_slowed_total")
        time.sleep(delay)


def record_failure(account_key: str, ip: str) -> None:
    s = identity_settings()
    hit(f"fail#acct#{account_key}#ip#{ip}", s.lockout_window_s)
    hit(f"fail#acct#{account_key}", s.lockout_window_s)
    hit(f"fail#ip#{ip}", s.lockout_window_s)
    count("login_failures_total")


def clear_failures(account_key: str, ip: str) -> None:
    """After a successful sign-in (or password reset) from ``ip``: forget that pair's and the account's failures."""
    for key in (f"fail#acct#{account_key}#ip#{ip}", f"fail#acct#{account_key}"):
        try:
            Counter(key).delete()
        except Exception:  # noqa: BLE001 - clearing is best effort; the TTL forgets it anyway
            logger.warning("could not clear failure counter")


def locked_error(seconds: float) -> LilyError:
    wait = max(1, ceil(seconds))
    return LilyError(ErrorCode.AUTH_004, "Too many attempts; try again later", {"retry_after_s": wait},
                     headers={"Retry-After": str(wait)})
