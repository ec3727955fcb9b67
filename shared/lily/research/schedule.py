"""The research schedule: every due config gets one run through the queue.

Due configs come from the sparse GSI ``due`` (enabled configs, ``next_run`` <= now). Each is claimed by moving
``next_run`` to its next occurrence with a write conditional on the value read, so overlapping ticks never
enqueue a config twice; a tick that was missed is caught up by the next one (one run, not one per missed week).
The plan is checked for each config (:func:`lily.research.jobs.enqueue`, which returns the job queued or
``refused``, naming the plan that lifts it); the tick counts them by status.
"""

from __future__ import annotations

from lily.core import clock
from lily.core.db import won
from lily.core.observability import logger
from lily.research import configs, jobs
from lily.research.models import ResearchConfig
from lily.research.ports import ResearchGate


def tick(gate: ResearchGate) -> dict[str, int]:
    now = clock.now()
    result = {"due": 0, "queued": 0, "refused": 0, "failed": 0}
    for c in ResearchConfig.due.query("due", ResearchConfig.next_run <= clock.iso(now)):
        result["due"] += 1
        claimed = c.next_run
        following = clock.iso(configs.next_run(configs.cadence_of(c), now))
        if not won(lambda c=c, claimed=claimed, following=following: c.update(
                actions=[ResearchConfig.next_run.set(following)],
                condition=(ResearchConfig.next_run == claimed) & (ResearchConfig.enabled == True))):  # noqa: E712
            continue  # another tick claimed it, or it was disabled or changed meanwhile
        try:
            job = jobs.enqueue(gate, c, "schedule")
        except Exception:  # noqa: BLE001 - boundary: one config's failure must not stop the others (logged)
            logger.exception("research schedule could not enqueue", extra={"org_id": c.org_id,
                                                                           "config_id": c.config_id})
            result["failed"] += 1
            continue
        result[job.status] += 1  # queued, or refused by the plan
    return result
