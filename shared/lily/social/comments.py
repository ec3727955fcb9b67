"""Comment as a connected account, and find such a comment again: the calls behind a reply from the inbox
(:mod:`lily.social.inbox_replies`) and a post's first comment (:meth:`lily.social.gateway.SocialGateway.comment`),
over each platform adapter's ``comment`` / ``find_comment`` with the connection's live credentials.

:func:`classify` turns what they raise into the :class:`lily.core.once.Failure` the exactly-once step records.
"""

from __future__ import annotations

from functools import cache

from lily.core.config import on_reset
from lily.core.errors import ErrorCode, LilyError
from lily.core.once import Done, Failure
from lily.social import tokens
from lily.social.platforms import adapter
from lily.social.platforms.base import CommentOn, PlatformError


@cache
def _adapter(platform: str):
    return adapter(platform)


on_reset(_adapter.cache_clear)


def post(org_id: str, connection_id: str, platform: str, on: CommentOn, text: str) -> Done:
    platform_adapter = _adapter(platform)
    creds = tokens.credentials(org_id, connection_id, platform_adapter)
    result = platform_adapter.comment(creds, on, text)
    return Done(platform_id=result.platform_post_id, url=result.url)


def find(org_id: str, connection_id: str, platform: str, on: CommentOn, text: str, since: float | None) -> Done | None:
    platform_adapter = _adapter(platform)
    creds = tokens.credentials(org_id, connection_id, platform_adapter)
    found = platform_adapter.find_comment(creds, on, text, since)
    return Done(platform_id=found.platform_post_id, url=found.url) if found else None


def classify(exc: Exception) -> Failure | None:
    """A platform or connection failure as a :class:`Failure`; None for anything else (a bug or a crash)."""
    if isinstance(exc, PlatformError):
        return Failure(exc.kind.value, exc.message, exc.retryable, ambiguous=exc.ambiguous, reset_at=exc.reset_at,
                       code=exc.code.value)
    if isinstance(exc, LilyError):
        kind = {ErrorCode.SOCIAL_004: "auth_expired", ErrorCode.VALIDATION_003: "connection_inactive",
                ErrorCode.VALIDATION_004: "connection_inactive"}.get(exc.code, "unknown")
        return Failure(kind, exc.message, exc.retryable, code=exc.code.value)
    return None
