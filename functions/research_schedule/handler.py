"""Scheduled research: enqueues each due config's run (see lily.research.schedule)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.composition import research_gate
from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler
from lily.research import schedule

settings = get_settings()
gate = research_gate()  # each due config's plan check


def job(event: dict) -> dict:
    return schedule.tick(gate)


handler = scheduled_handler(job)
