"""Scheduled research: enqueues each due config's run (see lily.research.schedule)."""

from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler
from lily.research import schedule

settings = get_settings()


def job(event: dict) -> dict:
    return schedule.tick()


handler = scheduled_handler(job)
