"""What every sandbox shares: the handle (:class:`Sandbox`), :func:`start_platform`, which serves a sandbox's app
on a loopback port, and :func:`local_secret`, the values local mode provisions (the sandboxes accept exactly
those); for the social platforms and the OpenAI-compatible sandbox also their state (:class:`PlatformState`:
grants, single-use codes, posts, queued faults, rate windows).
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar

from fastapi import FastAPI
from pydantic import BaseModel, Field

from lily.local.serve import ThreadedServer


class Served(Protocol):
    base_url: str


S = TypeVar("S", bound=Served)


@dataclass
class Sandbox(Generic[S]):
    """A running sandbox: where it answers, the environment that points Lily's adapters at it, its state."""

    name: str
    base_url: str
    state: S
    server: ThreadedServer
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        self.server.stop()


def start_platform(name: str, app: FastAPI, state: S, env: Callable[[str], dict[str, str]],
                   port: int | None = None) -> Sandbox[S]:
    """Serve ``app`` on a loopback port (``port`` or a free one); ``env(base_url)`` names the variables that
    point Lily at it. ``state.base_url`` is set before the first request can arrive."""
    server = ThreadedServer(app, port=port)
    state.base_url = server.base_url
    server.start()
    return Sandbox(name=name, base_url=server.base_url, state=state, server=server, env=env(server.base_url))


def local_secret(short: str) -> dict[str, str]:
    """The value local mode stores in secret ``short`` (``lily.local.secret_values``)."""
    from lily.local.secret_values import local_value

    return local_value(short)


# ---------------------------------------------------------------- platform state


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
    """A platform's state. Subclasses name the platform (``NAME``) and its switches' defaults (``DEFAULTS``,
    served at ``/_sandbox/config``) and add what else they keep in :meth:`reset`."""

    NAME: ClassVar[str] = "platform"
    DEFAULTS: ClassVar[dict[str, Any]] = {}

    def __init__(self) -> None:
        self.name = self.NAME
        self.base_url = ""
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.config: dict[str, Any] = dict(self.DEFAULTS)
            self.codes: dict[str, dict[str, Any]] = {}
            self.access: dict[str, Grant] = {}
            self.refresh: dict[str, Grant] = {}
            self.posts: dict[str, dict[str, Any]] = {}
            self.media: dict[str, dict[str, Any]] = {}
            self.faults: list[Fault] = []
            self.engagements: list[dict[str, Any]] = []  # webhook events made with POST /_sandbox/engagement
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

    def issue_tokens(self, user: str, client_id: str, scopes: list[str], expires_in: int | None,
                     with_refresh: bool = True, **extra: Any) -> dict[str, Any]:
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

    def count_in_window(self, key: str, who: str, limit: int, window_s: int) -> tuple[int, int]:
        """Count one call of ``who`` to endpoint ``key`` in its fixed window (opened by the first call);
        returns (remaining after this call, window reset epoch s); remaining is -1 when the limit was reached
        (the call is refused and not counted)."""
        now = time.time()
        with self.lock:
            window = self.windows.get((key, who))
            if window is None or now >= window[0] + window_s:
                window = self.windows[(key, who)] = [now, 0]
            reset = int(window[0] + window_s)
            if window[1] >= limit:
                return -1, reset
            window[1] += 1
            return limit - int(window[1]), reset
