"""Insights by id: ``GET .../research/insights/{id}`` and content generation's grounding
(:class:`lily.content.ports.InsightsPort`)."""

from __future__ import annotations

from lily.content.ports import GroundingInsight
from lily.core.errors import not_found
from lily.research.models import ResearchInsight
from lily.research.reports import insight_out
from lily.research.schemas import InsightOut


def get(org_id: str, insight_id: str) -> InsightOut:
    try:
        return insight_out(ResearchInsight.get(org_id, insight_id))
    except ResearchInsight.DoesNotExist:
        raise not_found("Research insight", insight_id=insight_id) from None


class StoredInsights:
    """The org's stored insights, read in one BatchGetItem; an id the org does not have is VALIDATION_004."""

    def insights(self, org_id: str, insight_ids: list[str]) -> list[GroundingInsight]:
        wanted = list(dict.fromkeys(insight_ids))
        rows = {r.insight_id: r for r in ResearchInsight.batch_get([(org_id, i) for i in wanted])}
        missing = [i for i in wanted if i not in rows]
        if missing:
            raise not_found("Research insight", insight_ids=missing)
        return [GroundingInsight(insight_id=i, title=rows[i].title, summary=rows[i].summary,
                                 evidence_urls=[e["url"] for e in rows[i].evidence or [] if e.get("url")][:3],
                                 suggested_topics=list(rows[i].suggested_topics or []))
                for i in wanted]
