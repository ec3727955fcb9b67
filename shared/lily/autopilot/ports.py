"""What autopilot needs from other capabilities, as small Protocols, and the bundle its use cases take.

- :class:`PlanLevels`: the org's plan and its autopilot level (billing; ``none`` refuses, naming the plan that
  lifts it).
- :class:`Quota`: a plan quota (billing's ``PlanQuota``): ``posts_per_day``, ``ai_text_requests``,
  ``image_generations`` (the same quota the images API reserves). Autopilot reserves before each step, so the
  pipelines it calls do not consume again.
- :class:`ResearchBriefs`: the latest research report's theme, topics and insights (research).
- :class:`BestTimes`: the org's best posting slots per platform, learned from its own published history on that
  platform (analytics' ``BestTimesProvider``).
- :class:`Writer`: one post's text for a platform and topic through the content pipeline (brand voice, templates,
  moderation, scoring); the AI request is reserved by autopilot.
- :class:`Images`: start one image job through the image pipeline (its ``image_generations`` unit reserved by
  autopilot) and read how it ended (images).
- :class:`Posts`: active connections; create a post, attach media to it while it is a draft, schedule it, or submit
  it for approval (publishing).
- :class:`ApprovalRule`: does the org's approval policy make autopilot's posts wait (approvals).
- :class:`Zones`: the org's IANA time zone (identity). :class:`Mail`: e-mail to members by role (identity).
- :class:`WeeklyNumbers`: what was published in a week and how it performed (analytics, composed).

Bundles: :class:`AutopilotBasics` (settings, starting runs, the schedule), :class:`AutopilotPorts` (a run),
:class:`WeeklyPorts` (the weekly report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol

POSTS_QUOTA = "posts_per_day"
AI_QUOTA = "ai_text_requests"
IMAGES_QUOTA = "image_generations"
LEVELS = ("none", "basic", "enhanced", "full")


class PlanLevels(Protocol):
    def level(self, org_id: str) -> tuple[str, str]:
        """(plan id, autopilot level: one of :data:`LEVELS`)."""

    def upgrade_for(self, level: str) -> str | None:
        """The cheapest plan whose autopilot level is at least ``level``."""


class Quota(Protocol):
    def consume(self, org_id: str, amount: int = 1) -> object:
        """Take ``amount``; raises LilyError PLAN_002 (details: limit, used, upgrade_to) past the plan's limit."""

    def release(self, org_id: str, amount: int = 1) -> object:
        """Give ``amount`` back (the step did not happen)."""


@dataclass(frozen=True)
class Brief:
    report_id: str
    theme: str
    topics: list[str]
    insight_ids: list[str] = field(default_factory=list)


class ResearchBriefs(Protocol):
    def latest(self, org_id: str) -> Brief | None:
        """The latest research report of the org, or None when it has none."""


class BestTimes(Protocol):
    def best_times(self, org_id: str, platform: str, limit: int = 3) -> list[tuple[int, int]]:
        """(weekday 0=Monday, hour) in the org's time zone, best first, learned from the org's own settled posts
        on ``platform``; empty when that history is too short (never a guess)."""


class Written(NamedTuple):
    text: str
    draft_id: str | None
    model: str | None
    input_tokens: int
    output_tokens: int
    flagged: bool = False


class ImageState(NamedTuple):
    """How an image job stands: ``pending`` (queued or running), ``done`` (``media_id`` stored) or ``failed``
    (failed or blocked: ``reason``; ``charged`` when a provider call was paid for all the same)."""

    status: str
    media_id: str | None = None
    reason: str | None = None
    charged: bool = False


class Images(Protocol):
    def start(self, org_id: str, prompt: str, platform: str, context: str) -> str:
        """Start one image job for a post on ``platform`` (``context``: the post's text); returns its job id.
        Autopilot has reserved the job's ``image_generations`` unit: the pipeline does not take it again (and gives
        it back itself when the job ends with nothing paid for). Raises LilyError (moderation, media storage)."""

    def state(self, org_id: str, job_id: str) -> ImageState:
        """The job's state (``failed`` for a job that does not exist)."""


class Writer(Protocol):
    def write(self, org_id: str, topic: str, platform: str, insight_ids: list[str]) -> Written:
        """One post for ``platform`` on ``topic`` (stored as an AI draft); raises LilyError on a failure."""


class Target(NamedTuple):
    connection_id: str
    platform: str


class Posts(Protocol):
    def connections(self, org_id: str) -> list[Target]:
        """The org's active connections."""

    def create(self, org_id: str, target: Target, text: str, needs_approval: bool) -> str:
        """A draft post on one connection, created by autopilot; returns its id."""

    def attach(self, org_id: str, post_id: str, media_ids: list[str]) -> None:
        """Set the draft post's media; raises LilyError (not a draft any more, a medium a platform refuses)."""

    def schedule(self, org_id: str, post_id: str, at: datetime, timezone: str) -> None:
        """Schedule it (the posts_per_day unit was reserved by autopilot); raises LilyError."""

    def submit(self, org_id: str, post_id: str, at: datetime, timezone: str) -> None:
        """Submit it for approval at ``at`` (listed at GET .../approvals, origin autopilot)."""


class ApprovalRule(Protocol):
    def required(self, org_id: str, role: str | None, origin: str) -> bool:
        """Does the org's approval policy make a post of this origin wait?"""


class Zones(Protocol):
    def zone(self, org_id: str) -> str:
        """An IANA name (UTC when none was set)."""


class Mail(Protocol):
    def to_roles(self, org_id: str, roles: list[str], subject: str, text: str) -> int:
        """E-mail every member holding one of ``roles``; returns how many were sent."""


class WeekPost(NamedTuple):
    post_id: str
    platform: str
    published_at: datetime
    impressions: int | None
    engagements: int


class WeeklyNumbers(Protocol):
    def published(self, org_id: str, start: datetime, end: datetime) -> list[WeekPost]:
        """The org's targets published in [start, end), with their latest metrics."""


class AutopilotBasics(NamedTuple):
    """What settings, starting runs and the schedule need: the plan's level and the org's zone (a light bundle:
    the HTTP function and the schedule load no pipeline)."""

    plans: PlanLevels
    zones: Zones


class WeeklyPorts(NamedTuple):
    """What the weekly report needs: the week's numbers and the mail."""

    weekly: WeeklyNumbers
    mail: Mail


class AutopilotPorts(NamedTuple):
    """What a run needs (it has the basics' two fields too, so a run can start another)."""

    plans: PlanLevels
    posts_quota: Quota
    ai_quota: Quota
    images_quota: Quota
    research: ResearchBriefs
    best_times: BestTimes
    writer: Writer
    images: Images
    posts: Posts
    approvals: ApprovalRule
    zones: Zones
