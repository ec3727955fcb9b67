"""The weekly report (Sunday 08:00 UTC): stored and e-mailed per org (see lily.autopilot.weekly)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.autopilot import weekly
from lily.composition import autopilot_weekly_ports
from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler

settings = get_settings()
ports = autopilot_weekly_ports()  # the week's numbers (analytics) and the mail to owners and admins


def job(event: dict) -> dict:
    return weekly.tick(ports)


handler = scheduled_handler(job)
