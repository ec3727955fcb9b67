"""Social's side of analytics' ports: the active connections (:class:`lily.analytics.ports.ConnectionDirectory`)
and one post's counts through the platform adapter's ``metrics`` call (:class:`lily.analytics.ports.MetricsReader`)
and the account's follower count through its ``followers`` call,
its errors translated into analytics' (token refused, 429, inactive, unavailable).

Credentials are opened once per connection per process (:mod:`lily.social.tokens` caches them until they change).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

from lily.analytics.ports import (
    ConnectionInactive,
    ConnectionRef,
    Counts,
    MetricsUnavailable,
    RateLimited,
    TokenRefused,
)
from lily.core import clock
from lily.core.config import on_reset
from lily.core.errors import ErrorCode, LilyError
from lily.social.models import SocialConnection
from lily.social.notices import mark_needs_reauth

if TYPE_CHECKING:
    from lily.social.platforms.base import Credentials

# The platform adapters (httpx) and the token store (cryptography) are imported where metrics are read: the
# analytics schedule builds these ports for the connection directory alone and never reads metrics; the analytics
# worker, which reads them on every message, primes both at init (its handler, FunctionSpec.primes).


@cache
def _adapter(platform: str):
    from lily.social.platforms import adapter

    return adapter(platform)


on_reset(_adapter.cache_clear)


class ActiveConnections:
    def active(self, org_id: str | None = None) -> Iterator[ConnectionRef]:
        # The scheduled run reads every connection (a Scan, off any request path, as the token health audit does);
        # one org's refresh Queries its partition.
        found = (SocialConnection.scan(SocialConnection.status == "active") if org_id is None
                 else SocialConnection.query(org_id, filter_condition=SocialConnection.status == "active"))
        for c in found:
            yield ConnectionRef(org_id=c.org_id, connection_id=c.connection_id, platform=c.platform)


class PlatformMetrics:
    """Reads many posts of one connection in a row: its credentials are kept ``REUSE_S`` (one connection read per
    message instead of one per post); a refused token drops them."""

    REUSE_S = 60.0

    def __init__(self) -> None:
        self._creds: dict[tuple[str, str], tuple[float, Credentials]] = {}

    def _credentials(self, org_id: str, connection_id: str, platform: str) -> Credentials:
        from lily.social import tokens

        key, now = (org_id, connection_id), clock.now_ts()
        kept = self._creds.get(key)
        if kept is None or now - kept[0] > self.REUSE_S:
            kept = (now, tokens.credentials(org_id, connection_id, _adapter(platform)))
            self._creds[key] = kept
        return kept[1]

    def _call(self, org_id: str, connection_id: str, platform: str, call):
        """``call(adapter, credentials)`` with the platform's and Lily's errors translated into analytics'."""
        from lily.social.platforms.base import ErrorKind, PlatformError

        try:
            return call(_adapter(platform), self._credentials(org_id, connection_id, platform))
        except PlatformError as exc:
            if exc.kind in (ErrorKind.AUTH_EXPIRED, ErrorKind.PERMISSION):
                self._creds.pop((org_id, connection_id), None)
                raise TokenRefused(exc.message) from None
            if exc.kind == ErrorKind.RATE_LIMITED:
                raise RateLimited(exc.reset_at) from None
            raise MetricsUnavailable(exc.kind.value) from None
        except LilyError as exc:
            if exc.code == ErrorCode.SOCIAL_004:
                raise TokenRefused(exc.message) from None
            if exc.code in (ErrorCode.VALIDATION_003, ErrorCode.VALIDATION_004):
                raise ConnectionInactive(exc.message) from None
            raise MetricsUnavailable(exc.code.value) from None

    def read(self, org_id: str, connection_id: str, platform: str, platform_post_id: str) -> Counts:
        m = self._call(org_id, connection_id, platform, lambda a, creds: a.metrics(creds, platform_post_id))
        return Counts(impressions=m.impressions, likes=m.likes, comments=m.comments, shares=m.shares, clicks=m.clicks)

    def followers(self, org_id: str, connection_id: str, platform: str) -> int | None:
        return self._call(org_id, connection_id, platform, lambda a, creds: a.followers(creds))

    def needs_reauth(self, org_id: str, connection_id: str, reason: str) -> None:
        try:
            conn = SocialConnection.get(org_id, connection_id)
        except SocialConnection.DoesNotExist:
            return
        mark_needs_reauth(conn, reason)
