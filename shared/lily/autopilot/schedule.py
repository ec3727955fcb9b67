"""The daily schedule: hourly, every enabled org whose local run hour (06:00 by default, in its time zone) has
come gets one run through the autopilot queue.

Due orgs come from the sparse GSI ``due`` (enabled configs, ``next_run`` <= now). Each is claimed by moving
``next_run`` to the following local run hour with a write conditional on the value read, so overlapping ticks
never start one org's day twice, and a missed tick is caught up by the next one (one run, not one per missed
hour). One org's failure never stops the others.
"""

from __future__ import annotations

from lily.autopilot import config, jobs
from lily.autopilot.models import AutopilotConfig
from lily.autopilot.ports import AutopilotBasics
from lily.core import clock
from lily.core.db import won
from lily.core.observability import logger


def tick(ports: AutopilotBasics) -> dict[str, int]:
    now = clock.now()
    result = {"due": 0, "queued": 0, "refused": 0, "failed": 0}
    for c in AutopilotConfig.due_index.query("due", AutopilotConfig.next_run <= clock.iso(now)):
        result["due"] += 1
        claimed = c.next_run
        try:
            following = clock.iso(config.next_run(ports.zones.zone(c.org_id), now))
            if not won(lambda c=c, claimed=claimed, following=following: c.update(
                    actions=[AutopilotConfig.next_run.set(following)],
                    condition=(AutopilotConfig.next_run == claimed) & (AutopilotConfig.enabled == True))):  # noqa: E712
                continue  # another tick claimed it, or it was disabled meanwhile
            run = jobs.begin(ports, c.org_id, "schedule")
        except Exception:  # noqa: BLE001 - boundary: one org's failure must not stop the others (logged)
            logger.exception("autopilot schedule could not start a run", extra={"org_id": c.org_id})
            result["failed"] += 1
            continue
        result["refused" if run.status == "refused" else "queued"] += 1
    return result
