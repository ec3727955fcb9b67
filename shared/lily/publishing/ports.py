"""What publishing needs from the outside world, as small Protocols, and the bundle its use cases take.

- :class:`PlatformGateway`: the social capability (connections, the one constraints validator,
  publish, lookup for reconciliation; the first comment, its lookup and its failure notice).
  :mod:`lily.social.gateway` implements it on the social adapters;
  `tests/support/fake_platforms.py` is an in-process implementation for tests.
- :class:`QuotaPort`: a plan quota, ``posts_per_day`` or ``media_storage_bytes`` (billing's ``PlanQuota``).
- :class:`OrgZones`, :class:`FeatureGate` and :class:`SchedulingPorts`: the org's time zone (identity) and the
  ``advanced_scheduling`` plan gate (billing) that queues and the calendar take beside :class:`PublishingPorts`.
- :class:`PublishingPorts`: the three, which editing and scheduling take as their first argument (the
  functions build it through :mod:`lily.composition`; tests pass fakes).

Errors cross the port as :class:`PublishError`, already classified: ``retryable``, ``reset_at`` (epoch
seconds the platform says its limit resets), ``ambiguous`` (the platform may have accepted the post:
reconcile with ``lookup`` before any retry).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Protocol

from pydantic import Field

from lily.core.errors import ErrorCode
from lily.core.schema import Schema

POSTS_QUOTA = "posts_per_day"  # the plan quota a schedule consumes (billing's catalog name)
MEDIA_STORAGE_QUOTA = "media_storage_bytes"  # the plan quota an upload reserves and a deletion releases

# Failure kinds, the social capability's taxonomy plus what publishing itself can decide.
KINDS = ("auth_expired", "permission", "rate_limited", "validation", "transient", "unknown",
         "connection_inactive", "breaker_open")
RETRYABLE_KINDS = {"rate_limited", "transient"}
CODE_OF_KIND = {
    "auth_expired": ErrorCode.SOCIAL_004,
    "permission": ErrorCode.SOCIAL_005,
    "rate_limited": ErrorCode.SOCIAL_003,
    "validation": ErrorCode.SOCIAL_006,
    "transient": ErrorCode.SOCIAL_007,
    "unknown": ErrorCode.SOCIAL_001,
    "connection_inactive": ErrorCode.SOCIAL_004,
    "breaker_open": ErrorCode.SOCIAL_007,
}


class MediaItem(Schema):
    media_id: str
    content_type: str
    size: int = 0
    key: str = Field(description="S3 key in the media bucket")
    alt_text: str | None = Field(None, description="Passed to the platforms that accept it")
    url: str | None = Field(None, description="A presigned GET of the object, for platforms that fetch media "
                                              "themselves (set by the publish worker)")


class Connection(Schema):
    connection_id: str
    org_id: str
    platform: str
    status: str = Field(description="active | paused | needs_reauth | ...")
    account_id: str | None = None


class PublishTarget(Schema):
    """One post on one connection, as the publisher hands it to the gateway."""

    target_id: str
    post_id: str
    org_id: str
    connection_id: str
    platform: str
    text: str = ""
    media: list[MediaItem] = Field(default_factory=list)
    first_comment: str | None = None
    since: datetime | None = Field(None, description="Earliest instant a previous attempt could have posted")


class PublishOutcome(Schema):
    platform_post_id: str
    url: str | None = None


class Problem(Schema):
    """One constraint a target's content breaks (from the social validator)."""

    field: str = ""
    code: str = ""
    message: str


class PublishError(Exception):
    """A classified publishing failure."""

    def __init__(self, kind: str, message: str, *, retryable: bool | None = None, reset_at: float | None = None,
                 ambiguous: bool = False, platform_status: int | None = None, platform_code: str | None = None,
                 scope: str = "connection") -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind if kind in KINDS else "unknown"
        self.message = message
        self.retryable = retryable if retryable is not None else self.kind in RETRYABLE_KINDS
        self.reset_at = reset_at
        self.ambiguous = ambiguous
        self.platform_status = platform_status
        self.platform_code = platform_code
        self.scope = scope  # "connection" or "platform": whose breaker a failure counts against

    @property
    def code(self) -> ErrorCode:
        return CODE_OF_KIND[self.kind]


class CommentTarget(Schema):
    """A published post's first comment, as the first-comment worker hands it to the gateway."""

    target_id: str
    org_id: str
    connection_id: str
    platform: str
    platform_post_id: str = Field(description="The published post the comment goes under")
    text: str
    since: datetime | None = Field(None, description="Earliest instant a previous attempt could have commented")


class PlatformGateway(Protocol):
    def connection(self, org_id: str, connection_id: str) -> Connection | None:
        """The org's connection, or None when it does not exist in that org."""

    def validate(self, platform: str, text: str, media: list[MediaItem], first_comment: str | None) -> list[Problem]:
        """Problems of this content on this platform (empty when it may be published)."""

    def publish(self, target: PublishTarget) -> PublishOutcome:
        """Publish; raises PublishError."""

    def lookup(self, target: PublishTarget) -> PublishOutcome | None:
        """The post a previous attempt of this target created, if the platform has it; raises PublishError."""

    def comment(self, target: CommentTarget) -> PublishOutcome:
        """Post the first comment under the published post (X: a self-reply); raises PublishError."""

    def find_comment(self, target: CommentTarget) -> PublishOutcome | None:
        """The first comment a previous attempt made, if the platform has it; raises PublishError."""

    def comment_failed(self, target: CommentTarget, reason: str) -> None:
        """Tell the organization (a notice) that the first comment could not be posted."""


class QuotaPort(Protocol):
    """A plan quota of the org: ``posts_per_day`` (schedules) and ``media_storage_bytes`` (uploads)."""

    def consume(self, org_id: str, amount: int = 1) -> None:
        """Take ``amount`` of the quota; raises LilyError PLAN_002 over the plan's limit."""

    def release(self, org_id: str, amount: int = 1) -> None:
        """Give ``amount`` back (a cancelled post, a deleted medium, an upload that was never recorded)."""


class PublishingPorts(NamedTuple):
    """What publishing's use cases need: the platforms, the ``posts_per_day`` and ``media_storage_bytes`` quotas."""

    gateway: PlatformGateway
    posts_quota: QuotaPort
    storage_quota: QuotaPort


ADVANCED_SCHEDULING_FEATURE = "advanced_scheduling"  # billing's plan feature behind queues


class OrgZones(Protocol):
    """The organization's IANA time zone (identity stores it; UTC when none was set)."""

    def zone(self, org_id: str) -> str:
        """An IANA name, e.g. ``Europe/Berlin``."""


class FeatureGate(Protocol):
    def require(self, org_id: str) -> object:
        """Return when the organization's plan includes the feature; raise LilyError PLAN_001 (403) otherwise."""


class SchedulingPorts(NamedTuple):
    """What queues and the calendar need: publishing's ports (they schedule through :mod:`scheduling`), the
    org's time zone, and the ``advanced_scheduling`` plan gate (queues only; the calendar is for every plan)."""

    posts: PublishingPorts
    zones: OrgZones
    advanced: FeatureGate


class ApprovalGate(Protocol):
    """The org's approval policy and its request queue (lily.approvals implements it)."""

    def required(self, org_id: str, role: str | None, origin: str) -> bool:
        """Must a post scheduled by ``role`` (``origin`` ``user`` or ``autopilot``) wait for an approver?"""

    def submitted(self, org_id: str, post_id: str, requested_by: str | None, origin: str, at: datetime,
                  summary: str) -> None:
        """Open the post's approval request (listed at GET .../approvals) and tell the approvers."""

    def approved_by_scheduling(self, org_id: str, post_id: str, actor: str | None) -> None:
        """An approver scheduled a post that was waiting: its open request (if any) is closed as approved."""


class BestTimes(Protocol):
    """The org's best (weekday, hour) slots on a platform, in its time zone, from its own engagement (analytics'
    ``BestTimesProvider``)."""

    def best_times(self, org_id: str, platform: str, limit: int = 3) -> list[tuple[int, int]]:
        """(weekday 0 = Monday, hour), best first; ``[]`` when the platform's history is too short to tell."""


class TextVariation(Protocol):
    """A post's text in new words (content's rewrite), for evergreen pools set to ``vary`` on platforms that refuse
    identical posts."""

    def vary(self, org_id: str, platform: str, text: str, avoid: list[str]) -> str:
        """``text`` reworded for ``platform`` (meaning, facts and links kept), unlike each of ``avoid``. Takes one
        unit of the org's AI quota; raises LilyError (PLAN_002 when the quota refuses, the AI's own errors)."""
