"""A published post's engagement read from its platform (:class:`lily.research.ports.EngagementSource`).

Uses the connection's live credentials and the platform adapter's ``metrics`` call. A connection that is
paused, needs re-authorization or whose platform refuses the read gives ``None``: research goes on with
the post's text alone.
"""

from __future__ import annotations

from lily.core.errors import LilyError
from lily.core.observability import logger
from lily.research.ports import PublishedPost
from lily.social import tokens
from lily.social.platforms import adapter

FIELDS = ("impressions", "likes", "comments", "shares", "clicks")


class PlatformEngagement:
    def engagement(self, org_id: str, post: PublishedPost) -> dict[str, int] | None:
        platform = adapter(post.platform)
        try:
            creds = tokens.credentials(org_id, post.connection_id, platform)
            metrics = platform.metrics(creds, post.platform_post_id)
        except LilyError as exc:  # PlatformError too: no engagement for this post; the run goes on
            logger.info("engagement unavailable", extra={"platform": post.platform, "reason": type(exc).__name__})
            return None
        return {f: int(v) for f in FIELDS if (v := getattr(metrics, f)) is not None}
