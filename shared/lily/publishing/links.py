"""Short links with UTM parameters, and their public redirect.

An org keeps UTM defaults (``default``, then per platform; a link's ``campaign`` wins for ``utm_campaign``) and a
redirect status (302, or 301). Shortening a URL (or every URL of a post's text) adds the UTM parameters the URL
does not already carry and stores the result under a random code (``publishing_links``). The short URL lives on
``LILY_LINKS_SHORT_BASE_URL`` (a deploy setting: the custom short domain whose DNS points at the API; the API's
own ``/l`` path by default).

The public ``links`` function redirects ``GET /l/{code}`` to the stored target. **No open redirect:** the target
comes only from a link Lily created (an unknown code is 404; nothing in the request says where to go). Each click
is counted on the link and per day; a day's distinct visitors are counted with a keyed hash of the address (a
random key per day, deleted two days later by TTL), never the address itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field
from pynamodb.expressions.condition import size

from lily.core import clock
from lily.core.config import BaseSettings, get_settings, load, on_reset, settings_config
from lily.core.db import won
from lily.core.errors import invalid, not_found
from lily.core.observability import count
from lily.publishing.models import LinkClickDay, LinkSettings, ShortLink
from lily.publishing.ports import FeatureGate

if TYPE_CHECKING:
    from lily.publishing.schemas import (
        LinkIn,
        LinkOut,
        LinkSettingsIn,
        LinkSettingsOut,
        LinkStats,
        ShortenTextIn,
        ShortenTextOut,
    )

ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE = re.compile(r"^[23456789a-zA-Z]{8}$")
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')\]]+")
SALT_KEY = "#salt"
CLICKS_KEPT = timedelta(days=400)


class LinkSettingsEnv(BaseSettings):
    model_config = settings_config("LILY_LINKS_")

    short_base_url: str = Field("", description="Custom short domain, e.g. https://go.example.com (empty: the API's "
                                "own public base URL)")
    max_visitors_per_day: int = Field(5000, ge=0, description="Distinct visitors hashed per link and day at most")


_env_cache: list[LinkSettingsEnv] = []


def links_env() -> LinkSettingsEnv:
    if not _env_cache:
        _env_cache.append(load(LinkSettingsEnv))
    return _env_cache[0]


on_reset(_env_cache.clear)


def short_base() -> str:
    return (links_env().short_base_url or get_settings().public_base_url).rstrip("/") + "/l"


def _settings(org_id: str) -> LinkSettings:
    try:
        return LinkSettings.get(org_id)
    except LinkSettings.DoesNotExist:
        return LinkSettings(org_id, utm={}, redirect_status=302, updated_at=clock.now())


def _settings_out(s: LinkSettings) -> LinkSettingsOut:
    # the links API's models, imported by the routes that answer with them: the redirect function only resolves
    from lily.publishing.schemas import LinkSettingsOut, UtmIn

    return LinkSettingsOut(utm={k: UtmIn(**v) for k, v in (s.utm or {}).items()},
                           redirect_status=int(s.redirect_status), short_base_url=short_base())


def get_settings_of(gate: FeatureGate, org_id: str) -> LinkSettingsOut:
    gate.require(org_id)
    return _settings_out(_settings(org_id))


def put_settings(gate: FeatureGate, org_id: str, body: LinkSettingsIn) -> LinkSettingsOut:
    gate.require(org_id)
    s = LinkSettings(org_id, utm={k: v.model_dump(exclude_none=True) for k, v in body.utm.items()},
                     redirect_status=body.redirect_status, updated_at=clock.now())
    s.save()
    return _settings_out(s)


def with_utm(url: str, utm: dict[str, str]) -> str:
    """``url`` with the UTM parameters it does not carry yet (its own stay as they are)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    have = {k for k, _ in query}
    query += [(k, v) for k, v in utm.items() if v and k not in have]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _utm_for(s: LinkSettings, platform: str | None, campaign: str | None) -> dict[str, str]:
    utm = {"utm_source": platform or "", "utm_medium": "social"}
    utm |= (s.utm or {}).get("default", {})
    if platform:
        utm |= (s.utm or {}).get(platform, {})
    if campaign:
        utm["utm_campaign"] = campaign
    return {k: v for k, v in utm.items() if v}


def _link_out(link: ShortLink) -> LinkOut:
    from lily.publishing.schemas import LinkOut

    return LinkOut(code=link.code, short_url=f"{short_base()}/{link.code}", url=link.url,
                   redirect_status=int(link.redirect_status), clicks=int(link.clicks or 0))


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise invalid("not a URL", url=url[:200]) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise invalid("only http(s) URLs with a host and no credentials can be shortened", url=url[:200])


def _new(org_id: str, s: LinkSettings, url: str, platform: str | None, campaign: str | None,
         created_by: str | None) -> ShortLink:
    _check_url(url)
    target = with_utm(url, _utm_for(s, platform, campaign))
    for _ in range(5):
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        link = ShortLink(code, org_id=org_id, url=target, original_url=url, platform=platform, campaign=campaign,
                         redirect_status=int(s.redirect_status), clicks=0, created_by=created_by,
                         created_at=clock.now())
        if won(lambda lk=link: lk.save(condition=ShortLink.code.does_not_exist())):
            count("publishing_links_created_total")
            return link
    raise RuntimeError("no free short code after 5 tries")  # 56^8 codes: practically unreachable


def shorten(gate: FeatureGate, org_id: str, body: LinkIn, created_by: str | None) -> LinkOut:
    gate.require(org_id)
    return _link_out(_new(org_id, _settings(org_id), body.url, body.platform, body.campaign, created_by))


def shorten_text(gate: FeatureGate, org_id: str, body: ShortenTextIn, created_by: str | None) -> ShortenTextOut:
    """Every URL of the text replaced by a short link (links already on the short domain are left alone)."""
    from lily.publishing.schemas import ShortenTextOut

    gate.require(org_id)
    s, made, base = _settings(org_id), [], short_base()

    def replace(match: re.Match) -> str:
        url = match.group(0).rstrip(".,;:!?")
        tail = match.group(0)[len(url):]
        if url.startswith(base + "/"):
            return match.group(0)
        link = _new(org_id, s, url, body.platform, body.campaign, created_by)
        made.append(_link_out(link))
        return f"{base}/{link.code}{tail}"

    text = URL_IN_TEXT.sub(replace, body.text)
    return ShortenTextOut(text=text, links=made)


def stats(gate: FeatureGate, org_id: str, code: str) -> LinkStats:
    from lily.publishing.schemas import LinkDay, LinkStats

    gate.require(org_id)
    link = _load(code)
    if link is None or link.org_id != org_id:
        raise not_found("link", code=code)
    days = [LinkDay(day=d.day, clicks=int(d.clicks or 0), visitors=len(d.visitors or ()))
            for d in LinkClickDay.query(code, scan_index_forward=False, limit=90)]
    return LinkStats(**_link_out(link).model_dump(), days=days)


def _load(code: str) -> ShortLink | None:
    if not CODE.match(code):
        return None
    try:
        return ShortLink.get(code)
    except ShortLink.DoesNotExist:
        return None


def _day_key(day: str) -> bytes:
    """The day's random key for visitor hashes (made once per day, deleted by TTL two days later)."""
    fresh = LinkClickDay(SALT_KEY, day, salt=secrets.token_hex(32), expires_at=clock.now() + timedelta(days=2))
    won(lambda: fresh.save(condition=LinkClickDay.day.does_not_exist()))
    return bytes.fromhex(LinkClickDay.get(SALT_KEY, day, consistent_read=True).salt)


def resolve(code: str, ip: str | None) -> tuple[str, int]:
    """The target and redirect status of a link Lily made (404 otherwise); the click is counted."""
    link = _load(code)
    if link is None:
        raise not_found("link", code=code)
    now = clock.now()
    day = now.strftime("%Y-%m-%d")
    link.update(actions=[ShortLink.clicks.add(1)])
    actions = [LinkClickDay.clicks.add(1), LinkClickDay.expires_at.set(now + CLICKS_KEPT),
               LinkClickDay.org_id.set(link.org_id)]  # the org's click days, one Query (analytics)
    if ip:
        visitor = hmac.new(_day_key(day), ip.encode(), hashlib.sha256).hexdigest()[:16]
        actions.append(LinkClickDay.visitors.add({visitor}))
    item = LinkClickDay(code, day)
    cap = links_env().max_visitors_per_day
    if not won(lambda: item.update(actions=actions, condition=LinkClickDay.visitors.does_not_exist()
                                   | (size(LinkClickDay.visitors) < cap))):
        item.update(actions=actions[:3])  # past the day's cap: the click still counts
    count("publishing_link_clicks_total")
    return link.url, int(link.redirect_status)
