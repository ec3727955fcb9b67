"""``POST /api/orgs/{org_id}/content/generate``: drafts for each platform from a topic."""

from __future__ import annotations

from lily.content import brand as brands
from lily.content import pipeline
from lily.content.ports import ContentPorts
from lily.content.schemas import GenerateIn, GenerationOut


def generate(ports: ContentPorts, org_id: str, body: GenerateIn, user_id: str | None,
             deadline_s: float | None = None) -> GenerationOut:
    profile, _ = brands.current(org_id)
    source = f"see {body.source_url}" if body.source_url else ""
    # Grounding: the research insights named are read (an id the org does not have is a 404) and their
    # titles, summaries and evidence links go into the prompt.
    grounding = ports.insights.insights(org_id, body.research_insight_ids) if body.research_insight_ids else []
    job = pipeline.Job(kind="generate", topic=body.topic, platforms=list(body.platforms),
                       tone=body.tone or profile.tone, structure=body.structure, goal=body.goal, n=body.n,
                       source=source, insights=[i.brief() for i in grounding],
                       performers=_performers(ports, org_id, list(body.platforms)) if body.follow_best else {})
    return pipeline.run(ports, org_id, user_id, job, {"topic": body.topic}, deadline_s)


PERFORMERS_PER_PLATFORM = 3


def _performers(ports: ContentPorts, org_id: str, platforms: list[str]) -> dict[str, list[str]]:
    """The org's best templates and tones on each platform asked for, as prompt lines (none: no history yet)."""
    best = ports.performance.best(org_id)
    return {p: [b.brief() for b in best[p][:PERFORMERS_PER_PLATFORM]] for p in platforms if best.get(p)}
