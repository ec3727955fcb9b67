"""What every platform adapter offers, the error taxonomy, and the HTTP client they share.

Adapters translate platform answers into domain values and :class:`PlatformError`; they never log a
token (httpx's own request log is silenced because Graph API puts secrets in query strings).

Longer than ~350 lines on purpose: this is the one contract between the adapters and their callers (the
values, the error taxonomy, the abstract adapter and the HTTP client they all share); every adapter and
caller imports it whole, and splitting it would spread one interface over several modules.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import httpx
from pydantic import Field

from lily.core import clock
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count, logger
from lily.core.schema import Schema
from lily.social.comment_target import CommentOn  # noqa: F401 - part of the adapters' interface

# httpx logs every request URL at INFO; Graph API URLs carry codes, secrets and tokens in the query.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


# ---------------------------------------------------------------- values


class TokenSet(Schema):
    """Secrets of one connection. Lives only in memory and inside KMS envelopes."""

    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = Field(None, description="Unix seconds; None = no expiry")
    scopes: list[str] = Field(default_factory=list)

    def __repr__(self) -> str:  # never print a token by accident
        return f"TokenSet(expires_at={self.expires_at}, scopes={self.scopes})"

    __str__ = __repr__


class Account(Schema):
    """An account a user may connect (one OAuth grant can offer several: Pages, IG accounts, LinkedIn orgs)."""

    account_id: str
    kind: str = Field(description="user | member | organization | page | instagram_business")
    name: str
    handle: str | None = None
    avatar_url: str | None = None
    urn: str | None = Field(None, description="LinkedIn author URN")
    parent_id: str | None = Field(None, description="Facebook Page behind an Instagram account")
    tokens: TokenSet | None = Field(None, exclude=True, description="Account-specific tokens (Page tokens)")


class Credentials(Schema):
    """What publishing needs: the account and a live access token. Built by :mod:`lily.social.tokens`."""

    platform: str
    account_id: str
    kind: str
    access_token: str = Field(repr=False)
    urn: str | None = None
    parent_id: str | None = None
    handle: str | None = None

    def __repr__(self) -> str:
        return f"Credentials(platform={self.platform!r}, account_id={self.account_id!r})"

    __str__ = __repr__


class PostPayload(Schema):
    """A post as the scheduler hands it over (already validated by :mod:`lily.social.constraints`)."""

    text: str = ""
    media_urls: list[str] = Field(default_factory=list, description="Publicly reachable media (IG fetches them)")
    media_ids: list[str] = Field(default_factory=list, description="Platform media ids already uploaded")
    media_alt_texts: list[str | None] = Field(default_factory=list, description="Alt text per media, in order")
    link: str | None = None
    reply_to: str | None = Field(None, description="Platform post id to reply to (X threads)")
    marker: str | None = Field(None, description="Client-side marker for reconciliation (e.g. target id)")


class PublishResult(Schema):
    platform_post_id: str
    url: str | None = None


class PostMetrics(Schema):
    platform_post_id: str
    impressions: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    clicks: int | None = None
    raw: dict[str, Any] = Field(default_factory=dict)


class RateLimit(Schema):
    """Rate-limit signals read from a response (whatever the platform offers)."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
    usage_pct: float | None = Field(None, description="Meta: highest call_count/total_time percentage")


# ---------------------------------------------------------------- errors


class ErrorKind(StrEnum):
    AUTH_EXPIRED = "auth_expired"
    PERMISSION = "permission"
    RATE_LIMITED = "rate_limited"
    VALIDATION = "validation"
    TRANSIENT = "transient"
    UNKNOWN = "unknown"


_CODE = {
    ErrorKind.AUTH_EXPIRED: ErrorCode.SOCIAL_004,
    ErrorKind.PERMISSION: ErrorCode.SOCIAL_005,
    ErrorKind.RATE_LIMITED: ErrorCode.SOCIAL_003,
    ErrorKind.VALIDATION: ErrorCode.SOCIAL_006,
    ErrorKind.TRANSIENT: ErrorCode.SOCIAL_007,
    ErrorKind.UNKNOWN: ErrorCode.SOCIAL_001,
}


class PlatformError(LilyError):
    """A classified platform failure.

    ``ambiguous`` is True when the request may have been applied (timeout after sending a create):
    the caller must reconcile (``lookup``) before retrying.
    """

    def __init__(
        self,
        kind: ErrorKind,
        platform: str,
        message: str,
        *,
        status: int | None = None,
        platform_code: str | None = None,
        reset_at: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        self.kind = kind
        self.platform = platform
        self.platform_status = status
        self.platform_code = platform_code
        self.reset_at = reset_at
        self.ambiguous = ambiguous
        details: dict[str, Any] = {"platform": platform, "kind": kind.value}
        headers: dict[str, str] = {}
        if platform_code:
            details["platform_code"] = platform_code
        if reset_at:
            details["reset_at"] = clock.iso(datetime.fromtimestamp(reset_at, tz=UTC))
            headers["Retry-After"] = str(max(1, int(reset_at - clock.now_ts())))
        if ambiguous:
            details["ambiguous"] = True
        super().__init__(
            _CODE[kind], message, details, headers, retryable=kind in (ErrorKind.RATE_LIMITED, ErrorKind.TRANSIENT)
        )


def status_kind(status: int) -> ErrorKind:
    """The default classification of an HTTP status (platforms refine it with their error bodies)."""
    if status == 401:
        return ErrorKind.AUTH_EXPIRED
    if status == 403:
        return ErrorKind.PERMISSION
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status in (400, 404, 409, 413, 415, 422):
        return ErrorKind.VALIDATION
    if status >= 500 or status == 408:
        return ErrorKind.TRANSIENT
    return ErrorKind.UNKNOWN


# ---------------------------------------------------------------- HTTP


class PlatformHttp:
    """An httpx client that classifies failures with a platform's ``classify`` and paces if asked."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        classify: Callable[[httpx.Response], PlatformError],
        timeout_s: float,
        min_interval_s: float = 0.0,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.platform = platform
        self.classify = classify
        self.min_interval_s = min_interval_s
        self._client = httpx.Client(base_url=base_url, timeout=timeout_s, headers=headers or {}, transport=transport)
        self.last_rate_limit: RateLimit | None = None

    def request(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        ambiguous_on_timeout: bool = False,
        expect: tuple[int, ...] = (200, 201, 202, 204),
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        _pace(self.platform, self.min_interval_s)
        started = time.monotonic()
        try:
            resp = self._client.request(method, url, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            count("social_platform_errors_total", platform=self.platform, kind="timeout")
            raise PlatformError(
                ErrorKind.TRANSIENT,
                self.platform,
                "platform timed out",
                ambiguous=ambiguous_on_timeout and not isinstance(exc, httpx.ConnectTimeout),
            ) from None
        except httpx.TransportError:
            count("social_platform_errors_total", platform=self.platform, kind="network")
            raise PlatformError(ErrorKind.TRANSIENT, self.platform, "platform unreachable") from None
        path = url.split("?", 1)[0]
        logger.debug(
            "platform call",
            extra={
                "platform": self.platform,
                "method": method,
                "path": path,
                "status": resp.status_code,
                "ms": int((time.monotonic() - started) * 1000),
            },
        )
        if resp.status_code in expect:
            return resp
        err = self.classify(resp)
        count("social_platform_errors_total", platform=self.platform, kind=err.kind.value)
        logger.info(
            "platform error",
            extra={
                "platform": self.platform,
                "path": path,
                "status": resp.status_code,
                "kind": err.kind.value,
                "platform_code": err.platform_code,
            },
        )
        raise err

    def close(self) -> None:
        self._client.close()


_pace_lock = threading.Lock()
_last_call: dict[str, float] = {}


def _pace(platform: str, min_interval_s: float) -> None:
    """Client-side pacing: at most one call per ``min_interval_s`` per platform in this process."""
    if min_interval_s <= 0:
        return
    with _pace_lock:
        now = time.monotonic()
        wait = _last_call.get(platform, 0.0) + min_interval_s - now
        _last_call[platform] = max(now, _last_call.get(platform, 0.0) + min_interval_s)
    if wait > 0:
        time.sleep(wait)


def json_or_empty(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def scopes_of(raw: str | list[str] | None) -> list[str]:
    """Scopes from a space- or comma-separated string (or a list)."""
    if raw is None:
        return []
    if isinstance(raw, list):
        return [s for s in raw if s]
    return [s for s in raw.replace(",", " ").split() if s]


# ---------------------------------------------------------------- the adapter interface


class PlatformAdapter(ABC):
    """One platform. OAuth (authorize URL, code exchange, refresh, revoke), identity, and publishing."""

    platform: str
    uses_pkce: bool = False
    rotates_refresh_tokens: bool = False

    # --- OAuth
    @abstractmethod
    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None) -> str: ...

    @abstractmethod
    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet: ...

    @abstractmethod
    def accounts(self, tokens: TokenSet) -> list[Account]:
        """Accounts this grant can connect (with account-specific tokens where the platform issues them)."""

    @abstractmethod
    def refresh(self, tokens: TokenSet) -> TokenSet:
        """A fresh token set; raises PlatformError(AUTH_EXPIRED) when the grant is gone."""

    @abstractmethod
    def validate(self, creds: Credentials) -> None:
        """A cheap authenticated call; raises PlatformError when the token no longer works."""

    @abstractmethod
    def revoke(self, tokens: TokenSet) -> bool:
        """Revoke at the platform where its API allows; False when it cannot."""

    # --- publishing (used by the publishing capability)
    @abstractmethod
    def publish(self, creds: Credentials, post: PostPayload) -> PublishResult: ...

    @abstractmethod
    def lookup(
        self, creds: Credentials, *, marker: str | None = None, text: str | None = None, since: float | None = None
    ) -> PublishResult | None:
        """Find a recent post of this account whose text contains ``marker`` (or equals ``text``)."""

    @abstractmethod
    def delete(self, creds: Credentials, platform_post_id: str) -> bool: ...

    @abstractmethod
    def metrics(self, creds: Credentials, platform_post_id: str) -> PostMetrics: ...

    @abstractmethod
    def followers(self, creds: Credentials) -> int | None:
        """The account's follower count now; None when the platform does not report it for this account."""

    @abstractmethod
    def upload_media(self, creds: Credentials, data: bytes, media_type: str) -> str:
        """Upload media, returning the platform media id (X media id, LinkedIn image URN)."""

    # --- comments (first comments, replies from the inbox)
    @abstractmethod
    def comment(self, creds: Credentials, on: CommentOn, text: str) -> PublishResult:
        """Comment as the account on ``on`` (a post, or a reply to a comment); a timeout after sending is
        ambiguous (reconcile with :meth:`find_comment`)."""

    @abstractmethod
    def find_comment(self, creds: Credentials, on: CommentOn, text: str, since: float | None) -> PublishResult | None:
        """The account's comment with ``text`` on ``on`` made since ``since``, if the platform has it."""

    def read_rate_limit(self, resp: httpx.Response) -> RateLimit | None:  # pragma: no cover - overridden
        return None


def needs_refresh(tokens: TokenSet, margin_s: float) -> bool:
    return tokens.expires_at is not None and tokens.expires_at - margin_s <= clock.now_ts()


_URL = re.compile(r"https?://\S+")


def _comparable(text: str) -> str:
    """Text as platforms echo it back: links may come back shortened (X wraps them in t.co)."""
    return " ".join(_URL.sub("<url>", text).split())


def matches(text: str | None, marker: str | None, want_text: str | None) -> bool:
    if not text:
        return False
    if marker:
        return marker in text
    return want_text is not None and _comparable(text) == _comparable(want_text)
