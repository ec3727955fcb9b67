"""What research needs from other capabilities, as small Protocols (the consumer declares them).

- :class:`lily.ai.ports.AIPort`: the report's synthesis (one structured text generation per run).
- :class:`Embedder`: the deployment's embedding model and dimension, in batches (``lily.ai.embeddings``).
- :class:`PublishedPosts`: the org's own published posts (publishing).
- :class:`EngagementSource`: published posts' engagement on their platform (social).
- :class:`ResearchGate`: whether the org's plan includes autopilot research (billing); every entry point
  (API, schedule, worker) asks it.

Use cases take what they use as a parameter: the run takes :class:`ResearchPorts`, memory search and forgetting
take :class:`MemoryPorts` (no AI synthesis, no published posts, no social engagement), configs, jobs and the
schedule take the :class:`ResearchGate` alone. The functions build them through :mod:`lily.composition`; tests
pass fakes or the real ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Protocol

from lily.ai.ports import AIPort, CallContext, Embeddings

RESEARCH_FEATURE = "autopilot_research"  # billing's plan feature behind ResearchGate
AI_QUOTA = "ai_text_requests"  # billing's plan quota a memory search (its embedding) and a run's synthesis count on


class Embedder(Protocol):
    model: str
    dimension: int

    def embed(self, texts: list[str], ctx: CallContext) -> Embeddings:
        """One vector per text, in order, each of ``dimension`` floats (batched by the provider)."""


class PublishedPost(NamedTuple):
    post_id: str
    connection_id: str
    platform: str
    platform_post_id: str
    text: str
    url: str | None
    published_at: datetime


class PublishedPosts(Protocol):
    def published(self, org_id: str, since: datetime, limit: int) -> list[PublishedPost]:
        """The org's post targets published since ``since``, newest first, at most ``limit``."""


class EngagementSource(Protocol):
    def engagements(self, org_id: str, posts: list[PublishedPost]) -> list[dict[str, int] | None]:
        """Per post, in order: ``{impressions, likes, comments, shares, clicks}`` (those the platform reports), or
        None when unknown."""


class AIQuota(Protocol):
    def consume(self, org_id: str, amount: int = 1) -> None:
        """Take one AI request of today's quota; raises LilyError PLAN_002 (with ``upgrade_to``)."""

    def release(self, org_id: str, amount: int = 1) -> None:
        """Give it back (the provider call failed: nothing was paid for)."""


class ResearchGate(Protocol):
    def require(self, org_id: str) -> object:
        """Pass when the plan includes autopilot research; raise LilyError PLAN_001 with ``upgrade_to``."""


class ResearchPorts(NamedTuple):
    ai: AIPort
    embedder: Embedder
    posts: PublishedPosts
    engagement: EngagementSource
    gate: ResearchGate
    quota: AIQuota  # the synthesis of a run counts one AI request


class MemoryPorts(NamedTuple):
    """What reading research memory needs (``POST .../research/search``): the embedder and the plan gate."""

    embedder: Embedder
    gate: ResearchGate
    quota: AIQuota  # each search embeds its query: one AI request
