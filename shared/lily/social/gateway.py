"""Social's implementation of publishing's :class:`lily.publishing.ports.PlatformGateway` (connections, the
one constraints validator, the platform adapters, tokens); the functions that publish get it from
:mod:`lily.composition` in their :class:`lily.publishing.ports.PublishingPorts`.

Reconciliation: the social adapters' ``lookup`` finds a recent post of the account by a marker or by its
exact text since an instant. Lily never writes a marker into a user's post, so the gateway looks up by
text, since just before the target's first attempt.
"""

from __future__ import annotations

from functools import cache

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from lily.core import clock, ids
from lily.core.aws import client
from lily.core.config import on_reset
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import logger
from lily.core.resources import bucket_name
from lily.publishing.ports import (
    CommentTarget,
    Connection,
    MediaItem,
    Problem,
    PublishError,
    PublishOutcome,
    PublishTarget,
)
from lily.social.constraints import MediaInfo, violations
from lily.social.models import SocialConnection, SocialNotice
from lily.social.notices import mark_needs_reauth
from lily.social.platforms import adapter
from lily.social.platforms.base import CommentOn, PlatformError, PostPayload

UPLOAD_FIRST = ("x", "linkedin")  # platforms that take uploaded media ids; Meta fetches media URLs itself


@cache
def _adapter(platform: str):
    return adapter(platform)


on_reset(_adapter.cache_clear)


def _translate(exc: PlatformError | LilyError) -> PublishError:
    if isinstance(exc, PlatformError):
        return PublishError(exc.kind.value, exc.message, retryable=exc.retryable, reset_at=exc.reset_at,
                            ambiguous=exc.ambiguous, platform_status=exc.platform_status,
                            platform_code=exc.platform_code)
    if exc.code == ErrorCode.SOCIAL_004:
        return PublishError("auth_expired", exc.message, retryable=False)
    if exc.code in (ErrorCode.VALIDATION_003, ErrorCode.VALIDATION_004):
        return PublishError("connection_inactive", exc.message, retryable=False)
    return PublishError("unknown", exc.message, retryable=exc.retryable)


class SocialGateway:
    """:class:`lily.publishing.ports.PlatformGateway` over :mod:`lily.social`."""

    def connection(self, org_id: str, connection_id: str) -> Connection | None:
        try:
            c = SocialConnection.get(org_id, connection_id)
        except SocialConnection.DoesNotExist:
            return None
        return Connection(connection_id=c.connection_id, org_id=c.org_id, platform=c.platform, status=c.status,
                          account_id=c.account_id)

    def validate(self, platform: str, text: str, media: list[MediaItem], first_comment: str | None) -> list[Problem]:
        found = violations(platform, text, [MediaInfo(content_type=m.content_type, size_bytes=m.size) for m in media])
        return [Problem(field="media" if v.rule.startswith("media") else "text", code=v.rule, message=v.message)
                for v in found]

    def _credentials(self, target: PublishTarget):
        # The token store (cryptography) and the comments module are imported where a publish or a comment needs
        # them: the imports worker and the automation schedule use this gateway for connections and validation
        # only; the publisher and the first-comments worker prime both at init (their handlers, FunctionSpec.primes).
        from lily.social import tokens

        try:
            return tokens.credentials(target.org_id, target.connection_id)
        except (PlatformError, LilyError) as exc:  # translated into the publishing taxonomy
            raise _translate(exc) from None

    def _payload(self, target: PublishTarget, creds) -> PostPayload:
        payload = PostPayload(text=target.text, media_alt_texts=[  # the platforms take alt text for images only
            m.alt_text if m.content_type.startswith("image/") else None for m in target.media])
        if target.platform in UPLOAD_FIRST:
            s3 = client("s3")
            for m in target.media:
                data = s3.get_object(Bucket=bucket_name("media"), Key=m.key)["Body"].read()
                payload.media_ids.append(_adapter(target.platform).upload_media(creds, data, m.content_type))
        else:
            payload.media_urls = [m.url for m in target.media if m.url]  # presigned by the publish worker
        return payload

    def publish(self, target: PublishTarget) -> PublishOutcome:
        creds = self._credentials(target)
        try:
            result = _adapter(target.platform).publish(creds, self._payload(target, creds))
        except (PlatformError, LilyError) as exc:  # translated into the publishing taxonomy
            err = _translate(exc)
            if err.kind == "auth_expired":
                self._needs_reauth(target, err.message)
            raise err from None
        return PublishOutcome(platform_post_id=result.platform_post_id, url=result.url)

    def lookup(self, target: PublishTarget) -> PublishOutcome | None:
        creds = self._credentials(target)
        try:
            found = _adapter(target.platform).lookup(creds, text=target.text,
                                                      since=target.since.timestamp() if target.since else None)
        except (PlatformError, LilyError) as exc:  # translated into the publishing taxonomy
            raise _translate(exc) from None
        return PublishOutcome(platform_post_id=found.platform_post_id, url=found.url) if found else None

    def comment(self, target: CommentTarget) -> PublishOutcome:
        from lily.social import comments

        try:
            done = comments.post(target.org_id, target.connection_id, target.platform,
                                 CommentOn(post_id=target.platform_post_id), target.text)
        except (PlatformError, LilyError) as exc:  # translated into the publishing taxonomy
            raise _translate(exc) from None
        return PublishOutcome(platform_post_id=done.platform_id, url=done.url)

    def find_comment(self, target: CommentTarget) -> PublishOutcome | None:
        from lily.social import comments

        try:
            found = comments.find(target.org_id, target.connection_id, target.platform,
                                  CommentOn(post_id=target.platform_post_id), target.text,
                                  target.since.timestamp() if target.since else None)
        except (PlatformError, LilyError) as exc:  # translated into the publishing taxonomy
            raise _translate(exc) from None
        return PublishOutcome(platform_post_id=found.platform_id, url=found.url) if found else None

    def comment_failed(self, target: CommentTarget, reason: str) -> None:
        """A ``first_comment_failed`` notice in the organization's notices (``GET .../social/notices``)."""
        SocialNotice(target.org_id, ids.new_id("ntc"), kind="first_comment_failed",
                     connection_id=target.connection_id, platform=target.platform,
                     reason=f"post {target.platform_post_id}: {reason}"[:500], created_at=clock.now()).save()

    def _needs_reauth(self, target: PublishTarget, reason: str) -> None:
        try:
            mark_needs_reauth(SocialConnection.get(target.org_id, target.connection_id), reason)
        except (PynamoDBException, BotoCoreError, ClientError):  # the target still fails with its own reason
            logger.exception("could not mark the connection needs_reauth")
