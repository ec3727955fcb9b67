"""Fetching and parsing the configured RSS / Atom feeds, through an SSRF guard.

A feed URL is the customer's input fetched from inside the cloud, so every fetch is guarded:

- only ``http`` and ``https``, default ports or explicit ones, no credentials in the URL;
- the host is resolved first and **every** address it resolves to must be public: private (RFC 1918, ULA),
  loopback, link-local (the instance metadata service at 169.254.169.254 included), multicast, reserved,
  unspecified and carrier-grade NAT addresses are refused (``ipaddress``'s ``is_global``);
- redirects are not followed by the client: each ``Location`` is checked like the first URL, at most
  ``feed_max_redirects`` of them;
- a timeout on connect and read (``feed_timeout_s``) and a size cap (``feed_max_bytes``): a body announcing
  or reaching more is refused without being read further.

Local mode sets ``feed_allowed_private`` to the feeds sandbox's own ``host:port`` (and nothing else), so the
sample feeds on the loopback interface can be read; in the cloud the list is empty.

Parsing is ``feedparser``'s (RSS 0.9x/1.0/2.0, Atom 0.3/1.0): it sanitises HTML; text is reduced to plain
text here. A feed that fails is reported in the run's counts; the run goes on with the others.
"""

from __future__ import annotations

import calendar
import html
import ipaddress
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from lily.research.settings import ResearchSettings

USER_AGENT = "LilyResearch/1.0 (+feeds)"
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


class FeedRefused(Exception):
    """The URL, its addresses or its answer are not allowed (SSRF guard, size, type)."""


@dataclass(frozen=True)
class FeedEntry:
    feed_url: str
    title: str
    text: str
    url: str | None
    published_at: datetime | None


def plain(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", text or ""))).strip()


def _port(parts) -> int:
    try:
        port = parts.port
    except ValueError:
        raise FeedRefused("bad port") from None
    return port or (443 if parts.scheme == "https" else 80)


def check_url(url: str, settings: ResearchSettings, resolve=socket.getaddrinfo) -> None:
    """Raise :class:`FeedRefused` unless ``url`` is http(s) and every address of its host is public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedRefused("only http and https URLs with a host")
    if parts.username or parts.password:
        raise FeedRefused("credentials in the URL")
    host, port = parts.hostname, _port(parts)
    if f"{host}:{port}" in settings.feed_allowed_private:
        return
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FeedRefused("the host does not resolve") from None
    addresses = {info[4][0] for info in infos}
    if not addresses:
        raise FeedRefused("the host does not resolve")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            raise FeedRefused(f"the host resolves to a non-public address ({ip})")


def fetch(url: str, settings: ResearchSettings, client: httpx.Client | None = None) -> bytes:
    """The feed's body, through the guard (redirects checked one by one, timeout, size cap)."""
    own = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(settings.feed_timeout_s), follow_redirects=False,
                                    headers={"User-Agent": USER_AGENT,
                                             "Accept": "application/rss+xml, application/atom+xml, "
                                                       "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"})
    try:
        for _ in range(settings.feed_max_redirects + 1):
            check_url(url, settings)
            with client.stream("GET", url) as response:
                if response.is_redirect:
                    location = response.headers.get("location")
                    if not location:
                        raise FeedRefused("a redirect without a location")
                    url = urljoin(url, location)
                    continue
                if response.status_code != 200:
                    raise FeedRefused(f"the feed answered {response.status_code}")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > settings.feed_max_bytes:
                    raise FeedRefused("the feed is larger than the size cap")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > settings.feed_max_bytes:
                        raise FeedRefused("the feed is larger than the size cap")
                return bytes(body)
        raise FeedRefused("too many redirects")
    except httpx.HTTPError as exc:
        raise FeedRefused(f"the fetch failed ({type(exc).__name__})") from None
    finally:
        if own:
            client.close()


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


def read_feed(url: str, settings: ResearchSettings) -> list[FeedEntry]:
    return parse(url, fetch(url, settings), settings.feed_max_items)
