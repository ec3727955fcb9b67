"""An in-process platform gateway with fault injection: the offline stand-in for tests (test-only, not shipped).

It implements :class:`lily.publishing.ports.PlatformGateway` the way the sandboxes behave: posts are
stored per account, each platform enforces its own sliding-window rate limit (a 429 that Lily's pacing
should never trigger: counted in ``organic_429``), and faults can be injected: 429 with a reset time,
5xx, slow answers, timeouts before sending and timeouts *after* the post was accepted.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime

from lily.core import clock, ids
from lily.publishing.ports import (
    Connection,
    MediaItem,
    Problem,
    PublishError,
    PublishOutcome,
    PublishTarget,
)

TEXT_LIMITS = {"x": 280, "instagram": 2200, "facebook": 63206, "linkedin": 3000}


@dataclass
class FakePost:
    platform_post_id: str
    connection_id: str
    target_id: str
    text: str
    created_at: datetime


@dataclass
class Faults:
    """Probabilities per publish call (seeded), and a slow answer's duration."""

    p_429: float = 0.0
    p_5xx: float = 0.0
    p_slow: float = 0.0
    p_timeout_before: float = 0.0
    p_timeout_after_accept: float = 0.0
    slow_s: float = 0.05
    reset_s: float = 2.0
    seed: int = 7


@dataclass
class FakePlatforms:
    rate_limits: dict[str, tuple[int, float]] = field(default_factory=dict)  # platform -> (limit, window_s)
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.connections: dict[str, Connection] = {}
        self.posts: list[FakePost] = []
        self.calls: deque[tuple[str, float]] = deque()
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self.injected: Counter[str] = Counter()
        self.organic_429 = 0
        self.publish_calls = 0
        self.lookups = 0
        self._forced: dict[str, list[str]] = defaultdict(list)
        self._rng = random.Random(self.faults.seed)

    # --- setup and inspection
    def add_connection(self, org_id: str, platform: str, status: str = "active") -> Connection:
        conn = Connection(connection_id=ids.new_id("conn"), org_id=org_id, platform=platform, status=status,
                          account_id=ids.new_id("acct"))
        self.connections[conn.connection_id] = conn
        return conn

    def force(self, connection_id: str, *kinds: str) -> None:
        """The next publishes on ``connection_id`` fail with these kinds, in order."""
        with self.lock:
            self._forced[connection_id].extend(kinds)

    def posts_of(self, target_id: str) -> list[FakePost]:
        with self.lock:
            return [p for p in self.posts if p.target_id == target_id]

    # --- the port
    def connection(self, org_id: str, connection_id: str) -> Connection | None:
        conn = self.connections.get(connection_id)
        return conn if conn and conn.org_id == org_id else None

    def validate(self, platform: str, text: str, media: list[MediaItem], first_comment: str | None) -> list[Problem]:
        problems = []
        if len(text) > TEXT_LIMITS.get(platform, 10000):
            problems.append(Problem(field="text", code="too_long",
                                    message=f"{platform} allows {TEXT_LIMITS[platform]} characters"))
        if platform == "instagram" and not media:
            problems.append(Problem(field="media", code="media_required", message="instagram needs an image or video"))
        if not text and not media:
            problems.append(Problem(field="text", code="empty", message="nothing to publish"))
        return problems

    def _fault(self, connection_id: str) -> str | None:
        with self.lock:
            if self._forced.get(connection_id):
                return self._forced[connection_id].pop(0)
            r = self._rng.random()
        f = self.faults
        for kind, p in (("429", f.p_429), ("5xx", f.p_5xx), ("slow", f.p_slow),
                        ("timeout_before", f.p_timeout_before), ("timeout_after_accept", f.p_timeout_after_accept)):
            if r < p:
                return kind
            r -= p
        return None

    def publish(self, target: PublishTarget) -> PublishOutcome:
        conn = self.connections.get(target.connection_id)
        if conn is None or conn.status != "active":
            raise PublishError("connection_inactive", "connection is not active", retryable=False)
        with self.lock:
            self.publish_calls += 1
        fault = self._fault(target.connection_id)
        if fault:
            self.injected[fault] += 1
        if fault == "429":
            raise PublishError("rate_limited", "Too Many Requests", platform_status=429,
                               reset_at=clock.now_ts() + self.faults.reset_s)
        if fault == "5xx":
            raise PublishError("transient", "Service Unavailable", platform_status=503)
        if fault == "timeout_before":
            raise PublishError("transient", "platform timed out", ambiguous=False)
        if fault in ("auth_expired", "validation", "permission"):
            raise PublishError(fault, f"forced {fault}", platform_status=400)
        if fault == "slow":
            time.sleep(self.faults.slow_s)
        with self.lock:
            limit = self.rate_limits.get(target.platform)
            if limit:
                window = self._recent[target.connection_id]
                now = clock.now_ts()
                while window and window[0] <= now - limit[1]:
                    window.popleft()
                if len(window) >= limit[0]:
                    self.organic_429 += 1
                    raise PublishError("rate_limited", "Too Many Requests (account limit)", platform_status=429,
                                       reset_at=window[0] + limit[1])
                window.append(now)
            post = FakePost(platform_post_id=str(self._rng.randrange(10**17, 10**18)),
                            connection_id=target.connection_id, target_id=target.target_id, text=target.text,
                            created_at=clock.now())
            self.posts.append(post)
        if fault == "timeout_after_accept":
            raise PublishError("transient", "platform timed out", ambiguous=True)
        return PublishOutcome(platform_post_id=post.platform_post_id,
                              url=f"https://{target.platform}.example/p/{post.platform_post_id}")

    def lookup(self, target: PublishTarget) -> PublishOutcome | None:
        with self.lock:
            self.lookups += 1
            for post in reversed(self.posts):
                if (post.connection_id == target.connection_id and post.text == target.text
                        and (target.since is None or post.created_at >= target.since)):
                    return PublishOutcome(platform_post_id=post.platform_post_id,
                                          url=f"https://{target.platform}.example/p/{post.platform_post_id}")
        return None

