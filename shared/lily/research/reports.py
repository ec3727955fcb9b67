"""Stored research reports: write one (with its insights), read one, list them, and the latest.

"Latest" is one keys-only Query (the newest report id) and one GetItem. ``low_confidence`` is not stored: the
views compute it from the confidence and ``research_confidence_floor``.
"""

from __future__ import annotations

from datetime import timedelta

from lily.core import clock, ids
from lily.core.errors import not_found
from lily.core.pages import PageParams, query_page
from lily.research.models import ResearchConfig, ResearchInsight, ResearchJob, ResearchReport
from lily.research.schemas import Evidence, InsightOut, ReportOut, ReportPage, ReportSummary
from lily.research.settings import research_settings
from lily.research.synthesis import Synthesis, ThemeFindings

RETENTION = timedelta(days=365)


def low_confidence(confidence: float) -> bool:
    return confidence < research_settings().research_confidence_floor


def insight_out(i: ResearchInsight) -> InsightOut:
    return InsightOut(insight_id=i.insight_id, report_id=i.report_id, title=i.title, summary=i.summary,
                      evidence=[Evidence(**e) for e in i.evidence or []],
                      suggested_topics=list(i.suggested_topics or []), confidence=float(i.confidence),
                      low_confidence=low_confidence(float(i.confidence)), created_at=i.created_at)


def report_out(r: ResearchReport) -> ReportOut:
    return ReportOut(report_id=r.report_id, job_id=r.job_id, config_id=r.config_id, industry=r.industry,
                     summary=r.summary, confidence=float(r.confidence),
                     low_confidence=low_confidence(float(r.confidence)),
                     insights=[InsightOut(**{**i, "low_confidence": low_confidence(float(i["confidence"]))})
                               for i in r.insights or []],
                     suggested_topics=list(r.suggested_topics or []),
                     counts={k: int(v) for k, v in (r.counts or {}).items()}, model=r.model, created_at=r.created_at)


def store(job: ResearchJob, config: ResearchConfig, findings: list[ThemeFindings], words: Synthesis | None,
          counts: dict[str, int]) -> ResearchReport:
    """Write the report and one ``research_insights`` row per theme; returns the report."""
    now = clock.now()
    report_id = ids.new_id("rrp")
    insights: list[ResearchInsight] = []
    for n, theme in enumerate(findings):
        words_n = words.themes[n] if words else {"title": f"Theme {n + 1}", "summary": "", "suggested_topics": []}
        insights.append(ResearchInsight(
            job.org_id, ids.new_id("ins"), report_id=report_id, title=words_n["title"], summary=words_n["summary"],
            evidence=[{"item_id": e.item_id, "url": e.url, "title": e.title[:300], "source": e.source,
                       "score": round(e.score, 4)} for e in theme.evidence],
            suggested_topics=words_n["suggested_topics"], confidence=theme.confidence, created_at=now,
            expires_at=now + RETENTION))
    weight = sum(len(t.evidence) for t in findings)
    confidence = round(sum(i.confidence * len(t.evidence) for i, t in zip(insights, findings, strict=True))
                       / weight, 3) if weight else 0.0
    with ResearchInsight.batch_write() as batch:
        for i in insights:
            batch.save(i)
    report = ResearchReport(
        job.org_id, report_id, job_id=job.job_id, config_id=config.config_id, industry=config.industry,
        summary=words.summary if words else "Not enough material this run to find a theme.",
        confidence=confidence,
        insights=[insight_out(i).model_dump(mode="json", exclude={"low_confidence"}) for i in insights],
        suggested_topics=words.suggested_topics if words else [], counts=counts,
        model=words.model if words else None, created_at=now, expires_at=now + RETENTION)
    report.save()
    return report


def get(org_id: str, report_id: str) -> ReportOut:
    try:
        return report_out(ResearchReport.get(org_id, report_id))
    except ResearchReport.DoesNotExist:
        raise not_found("Research report", report_id=report_id) from None


def latest(org_id: str) -> ReportOut:
    newest = next(iter(ResearchReport.query(org_id, scan_index_forward=False, limit=1,
                                            attributes_to_get=["org_id", "report_id"])), None)
    if newest is None:
        raise not_found("Research report")
    return get(org_id, newest.report_id)


def summary_of(r: ResearchReport) -> ReportSummary:
    return ReportSummary(report_id=r.report_id, job_id=r.job_id, config_id=r.config_id, industry=r.industry,
                         confidence=float(r.confidence), low_confidence=low_confidence(float(r.confidence)),
                         insights=len(r.insights or []), created_at=r.created_at)


def list_reports(org_id: str, page: PageParams) -> ReportPage:
    items, nxt = query_page(
        lambda start, n: ResearchReport.query(org_id, scan_index_forward=False, last_evaluated_key=start, limit=n),
        {"org_id": org_id}, page, summary_of)
    return ReportPage(items=items, next_cursor=nxt)
