"""What content needs from other capabilities, as small Protocols (the consumer declares them).

- :class:`lily.ai.ports.AIPort`: text generation and moderation.
- :class:`QuotaPort`: the plan's ``ai_text_requests`` per-day quota (billing entitlements).
- :class:`PostsPort`: saving drafts as posts and reading a post's text (publishing).
- :class:`InsightsPort`: research insights a draft is grounded on (research).
- :class:`PerformancePort`: the org's best templates and tones per platform, from its engagement (analytics).

The suite's one composition place (:func:`lily.composition.content_ports`) wires the real implementations;
tests pass fakes or the real ones.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from lily.ai.ports import AIPort

AI_QUOTA = "ai_text_requests"  # billing's plan quota behind QuotaPort


class QuotaPort(Protocol):
    def consume(self, org_id: str) -> None:
        """Take one AI text request of today's quota; raises LilyError PLAN_002 (with ``upgrade_to``)."""

    def release(self, org_id: str) -> None:
        """Give one back (the provider call failed)."""


class PostsPort(Protocol):
    def create_post(self, org_id: str, targets: list[tuple[str, str]], created_by: str | None) -> str:
        """A draft post with one target per ``(connection_id, text)``; returns its id."""

    def post_text(self, org_id: str, post_id: str) -> str:
        """The text of a saved post (VALIDATION_004 when there is none)."""


class GroundingInsight(NamedTuple):
    insight_id: str
    title: str
    summary: str
    evidence_urls: list[str]
    suggested_topics: list[str]

    def brief(self) -> str:
        """The insight as one line of a generation prompt."""
        sources = f" (sources: {', '.join(self.evidence_urls)})" if self.evidence_urls else ""
        return f"{self.title}: {self.summary}{sources}"


class InsightsPort(Protocol):
    def insights(self, org_id: str, insight_ids: list[str]) -> list[GroundingInsight]:
        """The org's insights, in order (VALIDATION_004 naming the ids the org does not have)."""


class Performer(NamedTuple):
    """A template or tone of the org's published posts on one platform, with the engagement rate it earned."""

    kind: str  # "template" | "tone"
    key: str  # the template id or the tone
    engagement_rate: float
    posts: int

    def brief(self) -> str:
        """The performer as a line of a generation prompt."""
        return f"{self.kind} {self.key} ({self.engagement_rate:.2%} engagement over {self.posts} posts)"


class PerformancePort(Protocol):
    def best(self, org_id: str) -> dict[str, list[Performer]]:
        """Per platform, the org's templates and tones that earned the best engagement rate, best first (a
        platform without enough history is absent)."""


class ContentPorts(NamedTuple):
    ai: AIPort
    quota: QuotaPort
    posts: PostsPort
    insights: InsightsPort
    performance: PerformancePort
