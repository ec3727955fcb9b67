"""Scheduled: queue every erasure whose grace period is over (lily.privacy.jobs.enqueue_due)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler
from lily.privacy import jobs

settings = get_settings()


def job(event: dict) -> dict:
    return {"queued": jobs.enqueue_due()}


handler = scheduled_handler(job)
