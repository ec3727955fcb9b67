"""Scheduled reaper: ended subscriptions go to free; connections over the new limit are paused."""

from lily.billing import reaper
from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler

settings = get_settings()


def job(event: dict) -> dict:
    return reaper.reap().model_dump()


handler = scheduled_handler(job)
