"""Worker for the social_events queue (revocations, needs_reauth notices)."""

from lily.core.config import get_settings
from lily.core.handlers import message_body, queue_handler
from lily.social import health

settings = get_settings()


def record(record) -> str:
    return health.handle_event(message_body(record))


handler = queue_handler(record)
