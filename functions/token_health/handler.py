"""Daily token health: refresh or validate every social connection."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler
from lily.social import health

settings = get_settings()


def job(event: dict) -> dict:
    return health.run().model_dump()


handler = scheduled_handler(job)
