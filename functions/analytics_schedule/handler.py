"""Scheduled analytics collection: fans out one message per active connection (see lily.analytics.schedule)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.analytics import schedule
from lily.composition import analytics_ports
from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler

settings = get_settings()
ports = analytics_ports()  # the schedule uses the connection directory only


def job(event: dict) -> dict:
    return schedule.tick(ports)


handler = scheduled_handler(job)
