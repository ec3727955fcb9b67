"""Fetching and parsing the configured RSS / Atom feeds.

A feed URL is the customer's input fetched from inside the cloud, so it is fetched through the one SSRF guard,
:mod:`lily.core.safe_http` (every address public, the connection pinned to the checked address, redirects checked
one by one up to ``feed_max_redirects``, a size cap, and a total time limit of ``feed_timeout_s`` over the whole
fetch, not per read). Local mode sets ``feed_allowed_private`` to the feeds sandbox's own ``host:port`` (and nothing
else), so the sample feeds on the loopback interface can be read; in the cloud the list is empty.

Parsing is ``feedparser``'s (RSS 0.9x/1.0/2.0, Atom 0.3/1.0): it sanitises HTML; text is reduced to plain
text here. A feed that fails is reported in the run's counts; the run goes on with the others.
"""

from __future__ import annotations

import calendar
import html
import re
import socket
from datetime import UTC, datetime
from typing import NamedTuple

from lily.core import safe_http
from lily.research.settings import ResearchSettings

USER_AGENT = "LilyResearch/1.0 (+feeds)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


class FeedRefused(Exception):
    """The URL, its addresses or its answer are not allowed (SSRF guard, size, type, time)."""


class FeedEntry(NamedTuple):
    feed_url: str
    title: str
    text: str
    url: str | None
    published_at: datetime | None


def plain(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", text or ""))).strip()


def policy(settings: ResearchSettings) -> safe_http.FetchPolicy:
    return safe_http.FetchPolicy(allowed_private=tuple(settings.feed_allowed_private), https_only=False,
                                 max_bytes=settings.feed_max_bytes, total_timeout_s=settings.feed_timeout_s,
                                 max_redirects=settings.feed_max_redirects, user_agent=USER_AGENT)


def fetch(url: str, settings: ResearchSettings, resolve=socket.getaddrinfo) -> bytes:
    """The feed's body, through the guard."""
    try:
        answer = safe_http.fetch("GET", url, policy=policy(settings), headers={"Accept": ACCEPT}, resolve=resolve)
    except safe_http.Refused as exc:
        raise FeedRefused(exc.reason) from None
    if answer.status_code != 200:
        raise FeedRefused(f"the feed answered {answer.status_code}")
    return answer.body


def _when(entry) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def parse(feed_url: str, body: bytes, max_items: int) -> list[FeedEntry]:
    """The feed's entries (at most ``max_items``), as plain text; refuses what is not a feed."""
    import feedparser  # loaded by the research worker only

    parsed = feedparser.parse(body)
    if not parsed.get("version"):  # feedparser names the format it recognised (rss20, atom10, ...)
        raise FeedRefused("not an RSS or Atom feed")
    entries = []
    for entry in parsed.entries[:max_items]:
        title = plain(entry.get("title", ""))[:300]
        text = plain(entry.get("summary", "") or "".join(c.get("value", "") for c in entry.get("content", [])))
        if not (title or text):
            continue
        link = entry.get("link")
        entries.append(FeedEntry(feed_url=feed_url, title=title, text=text[:4000],
                                 url=link if isinstance(link, str) and link.startswith(("http://", "https://"))
                                 else None, published_at=_when(entry)))
    return entries


def read_feed(url: str, settings: ResearchSettings, resolve=socket.getaddrinfo) -> list[FeedEntry]:
    return parse(url, fetch(url, settings, resolve), settings.feed_max_items)
