"""Scheduled backlog gauges: every queue's dead-letter depth (dlq_items_total{queue})."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler
from lily.health import backlog

settings = get_settings()


def job(event: dict) -> dict:
    return {"dlq_items": backlog.report_dlq_depths()}


handler = scheduled_handler(job)
