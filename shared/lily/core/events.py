"""Domain events: the one registry of what happens in Lily, and :func:`emit` for any capability.

A capability says that something happened with ``emit("post.published", org_id, {...})``. The event is wrapped in
a versioned envelope and sent to the ``webhook_events`` queue (its DLQ and alarm come with the consumer's
``Queue`` trigger, ``functions/webhook_fanout``), where the fan-out worker turns it into one delivery per
matching webhook subscription of the organization (:mod:`lily.webhooks.fanout`). Core knows no capability:
it holds the names and the envelope, nothing about subscriptions.

A function that emits names the queue in its wiring: ``Access(queues_send=[EVENTS_QUEUE])``.

The envelope, version 1 (``docs/webhooks.md``)::

    {"id": "evt_...", "type": "post.published", "created": "2026-12-07T16:00:00.123Z",
     "org_id": "org_...", "data": {...}, "v": 1}

Adding an event type is adding a line to :data:`EVENT_TYPES` (and its row in ``docs/webhooks.md``); an unknown
type is refused at :func:`emit`, so a typo fails a test instead of going nowhere.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lily.core import clock, ids, queues
from lily.core.observability import count, logger

EVENTS_QUEUE = "webhook_events"
ENVELOPE_VERSION = 1

# type -> what it means (and who emits it). The one registry: the API validates subscriptions against it and
# docs/webhooks.md lists it.
EVENT_TYPES: dict[str, str] = {
    "post.published": "A post's target was published on its platform (publishing: the publisher)",
    "post.failed": "A post's target failed for good: a permanent error or its last retry (publishing)",
    "post.needs_approval": "A post waits for approval before it can be published (approvals)",
    "connection.needs_reauth": "A social connection needs the user to authorize it again (social)",
    "subscription.changed": "The organization's effective plan changed (billing)",
    "research.completed": "A research run finished with a report (research)",
    "image.ready": "A generated image is stored in the media library (images)",
    "inbox.item_created": "A comment, mention or reply arrived in the organization's inbox (inbox)",
}


class UnknownEventType(ValueError):
    """``emit`` was called with a type that is not in :data:`EVENT_TYPES` (a programming error)."""


def envelope(event_type: str, org_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The versioned envelope of one event (a fresh sortable id, the creation instant)."""
    if event_type not in EVENT_TYPES:
        raise UnknownEventType(event_type)
    # one reading of the clock for both: the id's millisecond is the creation instant's, so a replay "since
    # created" (a ULID range from that millisecond) always includes the event itself
    at = clock.now()
    return {"id": ids.new_id("evt", at.timestamp()), "type": event_type, "created": clock.iso(at),
            "org_id": org_id, "data": data, "v": ENVELOPE_VERSION}


def emit(event_type: str, org_id: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """Enqueue one event for the organization's webhook subscriptions; returns its envelope, or None when the
    queue refused it.

    The state change that the event reports is already written when this runs, so a refused send must not
    undo it or fail the caller (a publisher that raised here would retry a post that is published): the event
    is counted as lost (``domain_events_lost_total{type}``, alarmed on) and logged with its id.
    """
    env = envelope(event_type, org_id, data)
    try:
        queues.send(EVENTS_QUEUE, env)
    except (ClientError, BotoCoreError) as exc:
        count("domain_events_lost_total", type=event_type)
        logger.error("domain event not enqueued", extra={"event_id": env["id"], "type": event_type,
                                                         "org_id": org_id, "error": type(exc).__name__})
        return None
    count("domain_events_total", type=event_type)
    return env
