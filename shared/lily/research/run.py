"""One research run (the research worker's use case): sources → memory → themes → retrieval → report.

1. claim the job (``queued`` or a crashed ``running`` → ``running``; finished jobs are left alone, so a
   redelivered message does nothing) and check the plan again (the org may have downgraded since it was queued);
2. gather the feeds and the org's own published posts (:mod:`lily.research.sources`), de-duplicated by content;
3. remember them (:mod:`lily.research.remember`): only items never seen are embedded and indexed;
4. cluster the run's items into themes (:mod:`lily.research.themes`);
5. for each theme, retrieve the top-k of the org's memory over the similarity floor (0.7) around its centre:
   the theme's evidence, this run's items and earlier runs' alike;
6. synthesise the words of the report through the AI port and store the report and its insights.

Progress and stage are written on the job as it goes; the finished job carries the run log (counts, confidence,
duration, tokens), which is also logged and counted. A LilyError (the provider down after its retries, the plan)
ends the job ``failed`` / ``refused``; any other exception is raised so SQS delivers the message again, except on
the message's last delivery (the DLQ is next): then the job is failed first, as image jobs are, so it never stays
``running``. A run still working ``run_budget_s`` after it started fails between stages (WORKFLOW_001) before the
worker's own time runs out. The synthesis counts one AI request of the org's day (PLAN_002 fails the run; a provider
failure gives it back). An ended job gives its runs-in-flight slot back (:mod:`lily.research.jobs`).
"""

from __future__ import annotations

import time

from lily.ai.ports import CallContext
from lily.core import clock, events
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, not_found
from lily.core.observability import count, logger, observe
from lily.research import jobs, memory, remember, reports, sources, synthesis, themes
from lily.research.messages import RunMessage
from lily.research.models import ResearchConfig, ResearchJob
from lily.research.ports import ResearchPorts
from lily.research.settings import research_settings
from lily.research.vectors.factory import vector_index
from lily.research.vectors.ports import VectorIndex


def _progress(job: ResearchJob, stage: str, percent: int, **counts: int) -> None:
    job.stage, job.progress = stage, percent
    actions = [ResearchJob.stage.set(stage), ResearchJob.progress.set(percent)]
    if counts:
        job.counts = {**(job.counts or {}), **counts}
        actions.append(ResearchJob.counts.set(job.counts))
    job.update(actions=actions)


def _finish(job: ResearchJob, status: str, **changes) -> None:
    changes.setdefault("finished_at", clock.now())
    actions = [ResearchJob.status.set(status), ResearchJob.stage.set(status)]
    actions += [getattr(ResearchJob, k).set(v) for k, v in changes.items()]
    job.update(actions=actions, condition=ResearchJob.status == "running")
    jobs.give_run_slot(job.org_id)


def _in_budget(started: float, stage: str) -> None:
    """WORKFLOW_001 when the run has used its time (checked before each stage)."""
    budget = research_settings().run_budget_s
    if time.perf_counter() - started > budget:
        count("research_runs_timed_out_total")
        raise LilyError(ErrorCode.WORKFLOW_001, f"The research run took longer than {budget:g} s and was stopped "
                                                f"before {stage}", {"stage": stage, "budget_s": budget})


def process(message: RunMessage, ports: ResearchPorts, index: VectorIndex | None = None, *,
            last_delivery: bool = False) -> str:
    # Opened before anything is claimed: an index built for another model or dimension raises
    # IndexMismatchError naming both, the message is retried and then kept by the DLQ; no job is touched.
    index = index or vector_index(ports.embedder)
    try:
        job = ResearchJob.get(message.org_id, message.job_id, consistent_read=True)
    except ResearchJob.DoesNotExist:
        logger.warning("research job not found", extra={"org_id": message.org_id, "job_id": message.job_id})
        return "missing"
    if job.status not in ("queued", "running"):
        return "duplicate"
    previous = job.status
    if not won(lambda: job.update(actions=[ResearchJob.status.set("running"), ResearchJob.stage.set("starting"),
                                           ResearchJob.started_at.set(clock.now())],
                                  condition=ResearchJob.status == previous)):
        return "duplicate"
    started = time.perf_counter()
    try:
        ports.gate.require(job.org_id)
        try:
            config = ResearchConfig.get(job.org_id, job.config_id)
        except ResearchConfig.DoesNotExist:
            raise not_found("Research config", config_id=job.config_id) from None
        outcome = _run(job, config, ports, index, started)
    except LilyError as exc:
        status = "refused" if exc.code == ErrorCode.PLAN_001 else "failed"
        _finish(job, status, error=exc.body()["error"], duration_ms=int((time.perf_counter() - started) * 1000))
        count("research_runs_total", trigger=job.trigger, outcome=status)
        logger.info("research run ended", extra={"org_id": job.org_id, "job_id": job.job_id, "status": status,
                                                 "code": exc.code.value})
        return status
    except Exception as exc:  # unexpected (a timeout, a bug, AWS unavailable): SQS delivers the message again
        if last_delivery:  # ... unless this was its last delivery: the job fails visibly instead of staying running
            error = LilyError(ErrorCode.WORKFLOW_001, "The research run stopped on an internal error or timeout "
                                                      "on its last attempt", {"error": type(exc).__name__})
            _finish(job, "failed", error=error.body()["error"],
                    duration_ms=int((time.perf_counter() - started) * 1000))
            count("research_runs_total", trigger=job.trigger, outcome="failed")
        raise
    return outcome


def _run(job: ResearchJob, config: ResearchConfig, ports: ResearchPorts, index: VectorIndex, started: float) -> str:
    settings = research_settings()
    ctx = CallContext(org_id=job.org_id, user_id=job.requested_by, feature="research.run")
    _progress(job, "sources", 10)
    gathered = sources.gather(ports, config, settings)
    items = gathered.items
    _in_budget(started, "embedding")
    _progress(job, "embedding", 35, **gathered.counts, items=len(items))
    remembered = remember.remember(ports, job.org_id, config.industry, items, ctx, index=index)
    _progress(job, "themes", 60, new=remembered.new, duplicates=remembered.seen)

    newest = sorted(range(len(items)), key=lambda n: items[n].published_at or clock.now(), reverse=True)
    newest = newest[:themes.MAX_ITEMS]
    found = themes.themes(remembered.vectors[newest]) if newest else []
    _progress(job, "retrieval", 70, themes=len(found))

    hits_of = [index.search(job.org_id, theme.centroid.tolist(), settings.research_top_k,
                            settings.floor_for(ports.embedder.model), config.industry) for theme in found]
    # Themes' hits overlap (an item near two centres): every stored item is read once, in one BatchGet.
    rows = memory.stored(job.org_id, list(dict.fromkeys(h.item_id for hits in hits_of for h in hits)))
    findings: list[synthesis.ThemeFindings] = []
    retrieved = 0
    for hits in hits_of:
        evidence = [synthesis.EvidenceItem(item_id=h.item_id, title=rows[h.item_id].title, text=rows[h.item_id].text,
                                           url=rows[h.item_id].url, source=rows[h.item_id].source,
                                           source_ref=rows[h.item_id].source_ref, score=h.score,
                                           engagement=rows[h.item_id].engagement)
                    for h in hits if h.item_id in rows]
        retrieved += len(evidence)
        if evidence:
            findings.append(synthesis.ThemeFindings(evidence=evidence))
    _in_budget(started, "synthesis")
    _progress(job, "synthesis", 85, retrieved=retrieved)

    words = None
    if findings:
        ports.quota.consume(job.org_id)  # one AI request of the org's day
        try:
            words = synthesis.synthesise(ports.ai, config, findings, ctx)
        except LilyError:  # the provider failed: nothing was paid for
            ports.quota.release(job.org_id)
            raise
    tokens = remembered.tokens + (words.usage.total_tokens if words else 0)
    counts = {**(job.counts or {}), "insights": len(findings)}
    report = reports.store(job, config, findings, words, counts)
    duration_ms = int((time.perf_counter() - started) * 1000)
    _finish(job, "done", progress=100, report_id=report.report_id, counts=counts, tokens=tokens,
            confidence=float(report.confidence), duration_ms=duration_ms)
    count("research_runs_total", trigger=job.trigger, outcome="done")
    count("research_tokens_total", tokens)
    observe("research_run_seconds", duration_ms / 1000)
    logger.info("research run done", extra={"org_id": job.org_id, "job_id": job.job_id, "report_id": report.report_id,
                                            "counts": counts, "confidence": float(report.confidence),
                                            "duration_ms": duration_ms, "tokens": tokens})
    events.emit("research.completed", job.org_id, {
        "job_id": job.job_id, "config_id": job.config_id, "report_id": report.report_id, "trigger": job.trigger,
        "insights": len(findings), "confidence": float(report.confidence)})
    return "done"
