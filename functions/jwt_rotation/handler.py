"""Scheduled JWT signing key rotation: the one due step (lily.identity.key_rotation)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from lily.core.config import get_settings
from lily.core.handlers import scheduled_handler
from lily.identity import key_rotation

settings = get_settings()


def job(event: dict) -> dict:
    return key_rotation.step().model_dump()


handler = scheduled_handler(job)
