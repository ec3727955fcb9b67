"""Research jobs: starting a run (on demand or from the schedule), reading its status and progress.

A job is created ``queued`` and one :class:`RunMessage` goes to the research queue; the worker moves it
``running`` → ``done`` | ``failed`` by conditional writes (a redelivered message never runs a finished job
again). A run the org's plan does not include is recorded ``refused`` with the plan that lifts it.

Runs in flight are capped per org (``max_runs_in_flight``): a counter row in the configs table (sort key
:data:`IN_FLIGHT`, the conditional-write idiom of :mod:`lily.core.limits`) takes a slot when a job is queued and
the worker gives it back when the job ends. A slot held by a job whose worker died is corrected from a count of the
org's live jobs (queued or running, younger than ``run_stale_s``) when the cap is reached.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from lily.core import clock, ids, limits, queues
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, not_found
from lily.core.observability import count, logger
from lily.core.pages import PageParams, query_page
from lily.research import configs
from lily.research.messages import QUEUE, RunMessage
from lily.research.models import ResearchConfig, ResearchJob
from lily.research.ports import ResearchGate
from lily.research.settings import research_settings

if TYPE_CHECKING:
    from lily.research.schemas import JobOut, JobPage

RETENTION = timedelta(days=180)


def job_out(j: ResearchJob) -> JobOut:
    # the API's models, imported by the routes that answer with them: the schedule and the worker enqueue and run
    # jobs without building research's API
    from lily.research.schemas import JobOut

    return JobOut(job_id=j.job_id, config_id=j.config_id, trigger=j.trigger, status=j.status, stage=j.stage,
                  progress=int(j.progress), counts={k: int(v) for k, v in (j.counts or {}).items()},
                  tokens=int(j.tokens or 0), confidence=float(j.confidence) if j.confidence is not None else None,
                  duration_ms=int(j.duration_ms) if j.duration_ms is not None else None, report_id=j.report_id,
                  error=j.error, created_at=j.created_at, started_at=j.started_at, finished_at=j.finished_at)


def _new_job(config: ResearchConfig, trigger: str, user_id: str | None) -> ResearchJob:
    now = clock.now()
    return ResearchJob(config.org_id, ids.new_id("rjb"), config_id=config.config_id, trigger=trigger,
                       requested_by=user_id, status="queued", stage="queued", progress=0, counts={},
                       created_at=now, expires_at=now + RETENTION)


IN_FLIGHT = "#inflight"  # the org's runs-in-flight counter row in the research configs table


def in_flight(org_id: str) -> int:
    """The org's jobs queued or running, younger than ``run_stale_s`` (newest first: stops at the first older)."""
    cutoff = clock.now() - timedelta(seconds=research_settings().run_stale_s)
    live = 0
    for j in ResearchJob.query(org_id, scan_index_forward=False, consistent_read=True):
        if j.created_at < cutoff:
            break
        live += j.status in ("queued", "running")
    return live


def take_run_slot(org_id: str) -> bool:
    cap = research_settings().max_runs_in_flight
    take = lambda: limits.take_slot(ResearchConfig, org_id, cap, configs.PREFIX, counter=IN_FLIGHT,  # noqa: E731
                                    current=lambda: in_flight(org_id))
    if take():
        return True
    seen, actual = limits.slots_used(ResearchConfig, org_id, counter=IN_FLIGHT), in_flight(org_id)
    return actual < seen and limits.recount(ResearchConfig, org_id, seen, actual, counter=IN_FLIGHT) and take()


def give_run_slot(org_id: str) -> None:
    limits.give_slot(ResearchConfig, org_id, counter=IN_FLIGHT)


def too_many_runs(org_id: str) -> LilyError:
    cap = research_settings().max_runs_in_flight
    return LilyError(ErrorCode.VALIDATION_003, f"At most {cap} research runs may be queued or running at once",
                     {"max_runs_in_flight": cap})


def enqueue(gate: ResearchGate, config: ResearchConfig, trigger: str, user_id: str | None = None) -> ResearchJob:
    """Record a queued job for ``config`` and send it to the worker; returns the job.

    The plan is checked first (PLAN_001 with ``upgrade_to`` when research is not included): on demand, the
    refusal is raised for the API to answer; a scheduled run records the job ``refused`` and returns it, so the
    org sees why its schedule did nothing."""
    job = _new_job(config, trigger, user_id)
    try:
        gate.require(config.org_id)
    except LilyError as exc:
        if exc.code != ErrorCode.PLAN_001:
            raise
        count("research_runs_total", trigger=trigger, outcome="refused")
        logger.info("research run refused by plan", extra={"org_id": config.org_id, "job_id": job.job_id,
                                                           "upgrade_to": (exc.details or {}).get("upgrade_to")})
        if trigger != "schedule":
            raise
        job.status, job.stage, job.finished_at = "refused", "refused", job.created_at
        job.error = exc.body()["error"]
        job.save()
        return job
    if not take_run_slot(config.org_id):
        count("research_runs_total", trigger=trigger, outcome="too_many")
        if trigger != "schedule":
            raise too_many_runs(config.org_id)
        job.status, job.stage, job.finished_at = "refused", "refused", job.created_at
        job.error = too_many_runs(config.org_id).body()["error"]
        job.save()
        return job
    try:
        job.save()
        queues.send(QUEUE, RunMessage(org_id=job.org_id, job_id=job.job_id).model_dump())
    except Exception:  # nothing will run it: the slot goes back
        give_run_slot(config.org_id)
        raise
    won(lambda: config.update(actions=[ResearchConfig.last_job_id.set(job.job_id)],
                              condition=ResearchConfig.config_id.exists()))  # not re-created if deleted meanwhile
    count("research_runs_total", trigger=trigger, outcome="queued")
    return job


def run_now(gate: ResearchGate, org_id: str, config_id: str, user_id: str | None) -> JobOut:
    """``POST .../research/run``: one run of the config, through the queue (202 with the job)."""
    return job_out(enqueue(gate, configs.load(org_id, config_id), "manual", user_id))


def load(org_id: str, job_id: str) -> ResearchJob:
    try:
        return ResearchJob.get(org_id, job_id, consistent_read=True)
    except ResearchJob.DoesNotExist:
        raise not_found("Research job", job_id=job_id) from None


def get(org_id: str, job_id: str) -> JobOut:
    return job_out(load(org_id, job_id))


def list_jobs(org_id: str, page: PageParams) -> JobPage:
    from lily.research.schemas import JobPage

    items, nxt = query_page(
        lambda start, n: ResearchJob.query(org_id, scan_index_forward=False, last_evaluated_key=start, limit=n),
        {"org_id": org_id}, page, job_out)
    return JobPage(items=items, next_cursor=nxt)
