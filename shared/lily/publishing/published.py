"""The org's published posts, for research (:class:`lily.research.ports.PublishedPosts`).

Reads the content library newest first (``posts`` Query pk=org_id backwards, status published or partial) and
each post's published targets (``post_targets`` Query pk=post_id); bounded by ``limit`` targets and by a scan
of at most ``4 * limit`` posts, so a large library costs a few queries.
"""

from __future__ import annotations

from datetime import datetime

from lily.publishing.models import Post, Target
from lily.research.ports import PublishedPost


class LibraryPublishedPosts:
    def published(self, org_id: str, since: datetime, limit: int) -> list[PublishedPost]:
        found: list[PublishedPost] = []
        for scanned, post in enumerate(Post.query(org_id, scan_index_forward=False, page_size=50,
                                                  filter_condition=Post.status.is_in("published", "partial"))):
            if scanned >= 4 * limit or len(found) >= limit:
                break
            for t in Target.query(post.post_id):
                if (t.state == "published" and t.platform_post_id and t.published_at is not None
                        and t.published_at >= since):
                    found.append(PublishedPost(post_id=post.post_id, connection_id=t.connection_id,
                                               platform=t.platform, platform_post_id=t.platform_post_id,
                                               text=t.text or post.text, url=t.platform_url,
                                               published_at=t.published_at))
        found.sort(key=lambda p: p.published_at, reverse=True)
        return found[:limit]
