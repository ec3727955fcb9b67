"""Every 15 minutes: read the mentions of the accounts whose platform sends Lily no webhooks, from the last one
seen, and queue them for the inbox (lily.social.mentions_poll)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

import time

from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler
from lily.social import mentions_poll

settings = get_settings()
TIMEOUT_S = 300  # the wiring's timeout: the run stops polling before it


def job(event: dict) -> dict:
    started = time.monotonic()
    return mentions_poll.run(remaining_s=lambda: TIMEOUT_S - (time.monotonic() - started)).model_dump()


handler = scheduled_handler(job)
