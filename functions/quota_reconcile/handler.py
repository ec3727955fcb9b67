"""Nightly gauge reconciliation: each gauge quota reset from the real count of what it counts."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.billing import gauge_reconcile
from lily.composition import gauge_reconcile_ports
from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler

settings = get_settings()
ports = gauge_reconcile_ports()


def job(event: dict) -> dict:
    return gauge_reconcile.run(ports).model_dump()


handler = scheduled_handler(job)
