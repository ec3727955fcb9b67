"""Research's implementation of autopilot's :class:`lily.autopilot.ports.ResearchBriefs`: the latest report's
theme (its strongest insight), suggested topics and insight ids (for grounding the drafts)."""

from __future__ import annotations

from lily.autopilot.ports import Brief
from lily.research.models import ResearchReport
from lily.research.reports import get


class LatestBrief:
    def latest(self, org_id: str) -> Brief | None:
        newest = next(iter(ResearchReport.query(org_id, scan_index_forward=False, limit=1,
                                                attributes_to_get=["org_id", "report_id"])), None)
        if newest is None:
            return None
        report = get(org_id, newest.report_id)
        ranked = sorted(report.insights, key=lambda i: i.confidence, reverse=True)
        theme = ranked[0].title if ranked else (report.suggested_topics[0] if report.suggested_topics
                                                else report.industry)
        topics = list(dict.fromkeys([*report.suggested_topics, *(t for i in ranked for t in i.suggested_topics)]))
        return Brief(report_id=report.report_id, theme=theme[:120], topics=topics[:10],
                     insight_ids=[i.insight_id for i in ranked[:3]])
