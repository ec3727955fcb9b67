"""Published posts' engagement read from their platform (:class:`lily.research.ports.EngagementSource`).

Uses each connection's live credentials (opened once per connection for the whole list of posts) and the
platform adapter's ``metrics`` call. A connection that is paused, needs re-authorization or whose platform
refuses the read gives ``None``: research goes on with the post's text alone.
"""

from __future__ import annotations

from lily.core.errors import LilyError
from lily.core.observability import logger
from lily.research.ports import PublishedPost
from lily.social import tokens
from lily.social.platforms import adapter
from lily.social.platforms.base import Credentials

FIELDS = ("impressions", "likes", "comments", "shares", "clicks")


class PlatformEngagement:
    def engagements(self, org_id: str, posts: list[PublishedPost]) -> list[dict[str, int] | None]:
        opened: dict[str, Credentials | None] = {}  # connection id -> its credentials, None when unusable
        found: list[dict[str, int] | None] = []
        for post in posts:
            platform = adapter(post.platform)
            try:
                if post.connection_id not in opened:
                    opened[post.connection_id] = None  # a connection refused once is not asked again
                    opened[post.connection_id] = tokens.credentials(org_id, post.connection_id, platform)
                creds = opened[post.connection_id]
                metrics = platform.metrics(creds, post.platform_post_id) if creds is not None else None
            except LilyError as exc:  # PlatformError too: no engagement for this post; the run goes on
                logger.info("engagement unavailable",
                            extra={"platform": post.platform, "reason": type(exc).__name__})
                metrics = None
            found.append(None if metrics is None
                         else {f: int(v) for f in FIELDS if (v := getattr(metrics, f)) is not None})
        return found
