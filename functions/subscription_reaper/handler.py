"""Scheduled reaper: ended subscriptions go to free; connections over the new limit are paused."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.billing import reaper
from lily.composition import billing_ports
from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler

settings = get_settings()
ports = billing_ports()  # the plan change listeners every applied plan notifies


def job(event: dict) -> dict:
    return reaper.reap(ports).model_dump()


handler = scheduled_handler(job)
