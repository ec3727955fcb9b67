"""A connection's published targets, for analytics (:class:`lily.analytics.ports.PublishedTargets`).

Reads the org's published posts (``posts`` Query pk=org_id, status published or partial, updated since the
instant: a post published since then was updated then) and each one's targets (``post_targets`` Query
pk=post_id); keeps the connection's targets published since the instant (with the media each one carried).

:class:`GeneratedMediaOfOrg` (:class:`lily.analytics.ports.GeneratedMedia`): which media are images Lily generated
(``publishing_media`` BatchGetItem of the ``generated`` attribute, set only when lily.images stores an image it
generated; an upload never has it, whatever its name).
"""

from __future__ import annotations

from datetime import datetime

from lily.analytics.ports import PublishedTarget
from lily.publishing.models import Media, Post, Target


class PublishedTargetsOfConnection:
    def of_connection(self, org_id: str, connection_id: str, since: datetime) -> list[PublishedTarget]:
        found: list[PublishedTarget] = []
        posts = Post.query(org_id, page_size=100, filter_condition=Post.status.is_in("published", "partial")
                           & (Post.updated_at >= since))
        for post in posts:
            for t in Target.query(post.post_id, filter_condition=Target.connection_id == connection_id):
                if (t.state == "published" and t.platform_post_id and t.published_at is not None
                        and t.published_at >= since and t.org_id == org_id):
                    found.append(PublishedTarget(target_id=t.target_id, post_id=post.post_id,
                                                 connection_id=t.connection_id, platform=t.platform,
                                                 platform_post_id=t.platform_post_id, published_at=t.published_at,
                                                 media_ids=tuple(t.media_ids if t.media_ids is not None
                                                                 else post.media_ids or ())))
        found.sort(key=lambda t: t.published_at)
        return found


class GeneratedMediaOfOrg:
    def generated(self, org_id: str, media_ids: list[str]) -> set[str]:
        return {m.media_id for m in Media.batch_get([(org_id, i) for i in media_ids],
                                                    attributes_to_get=["media_id", "generated"])
                if m.generated}
