"""Runs as jobs: start one (the schedule's fan-out, or a manual run), read them back.

A run starts ``queued`` and goes through the autopilot queue (with its DLQ) to the worker
(:mod:`lily.autopilot.run`). An org whose plan has no autopilot level is refused at once: the run is recorded
``refused`` with the plan that lifts it, a notice is stored, and ``plan_limit_hits_total`` counts it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from lily.autopilot import messages, notices
from lily.autopilot.models import AutopilotRun
from lily.autopilot.ports import AutopilotBasics
from lily.autopilot.settings import autopilot_settings
from lily.core import clock, ids
from lily.core.errors import not_found
from lily.core.observability import count, logger
from lily.core.pages import PageParams, query_page

if TYPE_CHECKING:
    from lily.autopilot.schemas import RunOut, RunPage


def out(r: AutopilotRun) -> RunOut:
    # the API's model, imported by the routes that answer with it: the schedule starts runs without building it
    from lily.autopilot.schemas import RunOut

    return RunOut(run_id=r.run_id, org_id=r.org_id, trigger=r.trigger, status=r.status, level=r.level,
                  plan_id=r.plan_id, day=r.day, read=r.read, made=list(r.made or []), spent=r.spent,
                  stopped=r.stopped, log=list(r.log or []), created_at=r.created_at, finished_at=r.finished_at)


def start(ports: AutopilotBasics, org_id: str, trigger: str) -> RunOut:
    """Queue a run (or refuse it for the plan) and answer with it."""
    return out(begin(ports, org_id, trigger))


def begin(ports: AutopilotBasics, org_id: str, trigger: str) -> AutopilotRun:
    """Queue a run for the worker, or record it refused when the plan has no autopilot level; the run's record."""
    plan_id, level = ports.plans.level(org_id)
    now = clock.now()
    run = AutopilotRun(org_id, ids.new_id("run"), trigger=trigger, status="queued", level=level, plan_id=plan_id,
                       made=[], log=[{"at": clock.iso(now), "event": "queued", "trigger": trigger}],
                       created_at=now, expires_at=now + timedelta(days=autopilot_settings().run_ttl_days))
    if level == "none":
        upgrade = ports.plans.upgrade_for("basic")
        message = "Autopilot is not included in this plan"
        run.status, run.finished_at = "refused", now
        run.stopped = {"reason": "plan", "message": message, "plan": plan_id, "upgrade_to": upgrade}
        run.save()
        notices.record(org_id, run.run_id, "plan", message, upgrade, {"plan": plan_id})
        count("plan_limit_hits_total", feature="autopilot", plan=plan_id)
        logger.info("autopilot refused by the plan", extra={"org_id": org_id, "plan": plan_id, "upgrade_to": upgrade})
        return run
    run.save(condition=AutopilotRun.run_id.does_not_exist())
    messages.send(messages.RunMessage(org_id=org_id, run_id=run.run_id))
    count("autopilot_runs_started_total", trigger=trigger, level=level)
    return run


def get(org_id: str, run_id: str) -> RunOut:
    try:
        return out(AutopilotRun.get(org_id, run_id, consistent_read=True))
    except AutopilotRun.DoesNotExist:
        raise not_found("autopilot run", run_id=run_id[:80]) from None


def list_runs(org_id: str, page: PageParams) -> RunPage:
    from lily.autopilot.schemas import RunPage

    items, cursor = query_page(
        lambda start, n: AutopilotRun.query(org_id, scan_index_forward=False, last_evaluated_key=start, limit=n),
        {"org_id": org_id}, page, out)
    return RunPage(items=items, next_cursor=cursor)
