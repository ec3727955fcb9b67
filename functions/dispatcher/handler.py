"""Scheduled dispatcher: moves due targets to the publish queue (see lily.publishing.dispatcher)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler
from lily.publishing import dispatcher

settings = get_settings()


def job(event: dict) -> dict:
    return dispatcher.tick()


handler = scheduled_handler(job)
