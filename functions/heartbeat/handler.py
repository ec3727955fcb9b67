"""Scheduled heartbeat: proves the schedule → queue → worker wiring."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler
from lily.health import service

settings = get_settings()


def job(event: dict) -> dict:
    beat = service.send_heartbeat()
    return {"beat_id": beat.beat_id}


handler = scheduled_handler(job)
