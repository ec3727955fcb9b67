"""Automation schedule: creates recurring occurrences and evergreen picks within the horizon as scheduled posts,
and polls the feeds whose time has come (see lily.publishing.recurring, evergreen, autofeeds)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.composition import approval_gate, scheduling_ports, text_variation
from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler
from lily.publishing import autofeeds, evergreen, recurring
from lily.publishing.autopost_settings import autopost_settings

settings = get_settings()
ports = scheduling_ports()  # platforms, quotas, zones, plan gate: one per process
variation = text_variation()  # evergreen pools set to vary reword through content (its AI client built on first use)


def job(event: dict) -> dict:
    budget = autopost_settings().max_per_run
    out = recurring.run_due(ports, budget)
    out |= evergreen.run_due(ports, variation, budget)
    out |= autofeeds.run_due(ports, approval_gate, budget)  # built for approval-mode feeds only
    return out


handler = scheduled_handler(job)
