"""What analytics needs from other capabilities, as small Protocols (the consumer declares them).

- :class:`PublishedTargets`: a connection's published post targets (publishing).
- :class:`ConnectionDirectory`: the active connections to collect for, all orgs or one (social).
- :class:`MetricsReader`: one published post's counts through the platform adapter's ``metrics`` call, and the
  notices path when a connection's token is refused (social). It raises the errors declared here, never a
  platform's own.
- :class:`AnalyticsPlan`: the org's analytics level (``basic|standard|advanced|predictive``) and its gate (billing).
- :class:`OrgZones`: the org's IANA time zone, for the heatmap and best times (identity).
- :class:`ContentOrigins`: which template, tone and structure content generation wrote a post with (content).
- :class:`GeneratedMedia`: which of a post's media are AI-generated images (publishing's media library).
- :class:`LinkClicks`: the org's short links' clicks per day and what each link is (publishing's short links);
  the clicks tables take :class:`ClickPorts` (it and the plan).

The functions build :class:`AnalyticsPorts` through :mod:`lily.composition`; tests pass fakes or the real ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple, Protocol

LEVELS = ("basic", "standard", "advanced", "predictive")  # PRODUCT.md's analytics levels, lowest first
LEVEL_FEATURES = {"basic": "analytics_basic", "standard": "analytics_standard",
                  "advanced": "analytics_advanced", "predictive": "analytics_predictive"}  # billing's features


class PublishedTarget(NamedTuple):
    target_id: str
    post_id: str
    connection_id: str
    platform: str
    platform_post_id: str
    published_at: datetime
    media_ids: tuple[str, ...] = ()


class Origin(NamedTuple):
    """What content generation stored on the draft a post was saved from (None: written by hand)."""

    template_id: str | None = None
    tone: str | None = None
    structure: str | None = None


class ConnectionRef(NamedTuple):
    org_id: str
    connection_id: str
    platform: str


class Counts(NamedTuple):
    """A post's cumulative counts as its platform reports them (None: the platform does not report it).
    ``impressions`` is Instagram's ``views`` (never the retired impressions) and Facebook's media views."""

    impressions: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    clicks: int | None = None


class TokenRefused(Exception):
    """The connection's token is expired, revoked or lacks the permission: re-authorization is needed."""


class RateLimited(Exception):
    def __init__(self, reset_at: float | None) -> None:
        super().__init__("rate limited")
        self.reset_at = reset_at  # epoch seconds, when the platform said


class MetricsUnavailable(Exception):
    """A transient or unknown failure reading one post (retried with the connection's message)."""


class ConnectionInactive(Exception):
    """Paused or gone: nothing to collect for it now."""


class PublishedTargets(Protocol):
    def of_connection(self, org_id: str, connection_id: str, since: datetime) -> list[PublishedTarget]:
        """The connection's targets published at or after ``since``, oldest first."""


class ConnectionDirectory(Protocol):
    def active(self, org_id: str | None = None) -> Iterable[ConnectionRef]:
        """Active connections of every org (``org_id`` None: the scheduled run) or of one org."""


class MetricsReader(Protocol):
    def read(self, org_id: str, connection_id: str, platform: str, platform_post_id: str) -> Counts:
        """One post's counts; raises TokenRefused, RateLimited, ConnectionInactive or MetricsUnavailable."""

    def needs_reauth(self, org_id: str, connection_id: str, reason: str) -> None:
        """Mark the connection needs_reauth and record the notice (once)."""

    def followers(self, org_id: str, connection_id: str, platform: str) -> int | None:
        """The connection's follower count now (None: its platform does not report it); raises as ``read``."""


class AnalyticsPlan(Protocol):
    def level(self, org_id: str) -> str:
        """The org's analytics level, one of :data:`LEVELS`."""

    def require(self, org_id: str, level: str) -> object:
        """Pass when the plan's level is at least ``level``; raise LilyError PLAN_001 with ``upgrade_to``."""


class OrgZones(Protocol):
    def zone(self, org_id: str) -> str:
        """The organization's IANA time zone (UTC when none was set)."""


class ContentOrigins(Protocol):
    def of_posts(self, org_id: str, post_ids: list[str]) -> dict[tuple[str, str], Origin]:
        """The origin of each (post id, platform) saved from a generated draft (posts written by hand are absent)."""

    def of_draft(self, org_id: str, draft_id: str) -> tuple[str, Origin] | None:
        """The org's draft's platform and origin; None when the org has no such draft."""


class GeneratedMedia(Protocol):
    def generated(self, org_id: str, media_ids: list[str]) -> set[str]:
        """The ids among ``media_ids`` that are images Lily generated (the org's own media only)."""


class AnalyticsPorts(NamedTuple):
    targets: PublishedTargets
    connections: ConnectionDirectory
    metrics: MetricsReader
    plan: AnalyticsPlan
    zones: OrgZones
    origins: ContentOrigins
    media: GeneratedMedia


class ClickDay(NamedTuple):
    """A short link's clicks on one UTC day (the day the redirect counted them)."""

    code: str
    day: str  # YYYY-MM-DD, UTC
    clicks: int


class ShortLinkInfo(NamedTuple):
    code: str
    short_url: str
    url: str
    platform: str | None
    campaign: str | None
    post_ids: tuple[str, ...] = ()  # the posts whose text carries it


class LinkClicks(Protocol):
    def days(self, org_id: str, first: str, last: str) -> list[ClickDay]:
        """The org's links' click days from ``first`` to ``last`` (UTC days, inclusive); no other org's."""

    def links(self, org_id: str, codes: list[str]) -> dict[str, ShortLinkInfo]:
        """The org's links among ``codes`` (another org's codes are absent)."""


class ClickPorts(NamedTuple):
    plan: AnalyticsPlan
    clicks: LinkClicks
