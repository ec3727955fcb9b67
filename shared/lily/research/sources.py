"""What a research run reads: the configured feeds and the org's own published posts with their engagement.

Every entry becomes a :class:`SourceItem` whose id is a hash of its normalised content (``h_`` + 40 hex of
SHA-256 over title and text, case and spacing folded): the same article seen in two feeds, or on two runs,
is one item. Platform trends are not read: no platform adapter offers them yet.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lily.core import clock
from lily.core.observability import logger
from lily.research import feeds
from lily.research.models import ResearchConfig
from lily.research.ports import ResearchPorts
from lily.research.settings import ResearchSettings

_FOLD = re.compile(r"\s+")


@dataclass
class SourceItem:
    item_id: str
    source: str  # feed | own_post
    source_ref: str  # feed URL or post id
    title: str
    text: str
    url: str | None = None
    published_at: datetime | None = None
    engagement: dict[str, int] | None = None

    @property
    def content(self) -> str:
        """What is embedded: the title and the text (and the engagement of an own post)."""
        body = f"{self.title}. {self.text}" if self.title else self.text
        if self.engagement:
            body += " (engagement: " + ", ".join(f"{k} {v}" for k, v in sorted(self.engagement.items())) + ")"
        return body


def content_hash(title: str, text: str) -> str:
    folded = _FOLD.sub(" ", f"{title}\n{text}".lower()).strip()
    return "h_" + hashlib.sha256(folded.encode()).hexdigest()[:40]


@dataclass
class Gathered:
    by_id: dict[str, SourceItem] = field(default_factory=dict)  # in the order first read
    counts: dict[str, int] = field(default_factory=lambda: {
        "feeds": 0, "feeds_failed": 0, "feed_entries": 0, "own_posts": 0, "duplicates_in_run": 0})
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def items(self) -> list[SourceItem]:
        return list(self.by_id.values())

    def add(self, item: SourceItem) -> None:
        if item.item_id in self.by_id:
            self.counts["duplicates_in_run"] += 1
            return
        self.by_id[item.item_id] = item


def gather(ports: ResearchPorts, config: ResearchConfig, settings: ResearchSettings) -> Gathered:
    out = Gathered()
    for url in config.feeds or []:
        out.counts["feeds"] += 1
        try:
            entries = feeds.read_feed(url, settings)
        except feeds.FeedRefused as exc:
            out.counts["feeds_failed"] += 1
            out.failures.append({"feed": url, "reason": str(exc)})
            logger.info("research feed refused", extra={"org_id": config.org_id, "reason": str(exc)})
            continue
        for e in entries:
            out.counts["feed_entries"] += 1
            out.add(SourceItem(content_hash(e.title, e.text), "feed", url, e.title, e.text, e.url, e.published_at))
    if settings.research_own_posts_max:
        since = clock.now() - timedelta(days=settings.research_own_posts_days)
        posts = ports.posts.published(config.org_id, since, settings.research_own_posts_max)
        for post, engagement in zip(posts, ports.engagement.engagements(config.org_id, posts), strict=True):
            out.counts["own_posts"] += 1
            out.add(SourceItem(content_hash("", post.text), "own_post", post.post_id,
                               f"Our {post.platform} post", post.text, post.url, post.published_at, engagement))
    return out
