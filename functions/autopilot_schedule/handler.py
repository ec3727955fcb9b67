"""Scheduled autopilot: one run per enabled org at its local run hour (see lily.autopilot.schedule)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.autopilot import schedule
from lily.composition import autopilot_basics
from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler

settings = get_settings()
ports = autopilot_basics()  # plan levels and time zones: the schedule loads no pipeline


def job(event: dict) -> dict:
    return schedule.tick(ports)


handler = scheduled_handler(job)
