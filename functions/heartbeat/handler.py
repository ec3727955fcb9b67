"""Scheduled heartbeat: proves the schedule → queue → worker wiring, and reports the DLQ backlog gauges."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler
from lily.health import backlog, service

settings = get_settings()


def job(event: dict) -> dict:
    beat = service.send_heartbeat()
    return {"beat_id": beat.beat_id, "dlq_items": backlog.report_dlq_depths()}


handler = scheduled_handler(job)
