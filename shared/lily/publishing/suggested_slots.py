"""``GET .../queues/{queue_id}/suggested-slots``: weekly slots for a queue from the org's best times.

For each platform of the queue's connections, analytics' best (weekday, hour) slots of the org's own published
posts on that platform (:class:`lily.publishing.ports.BestTimes`, in the org's time zone), best first, each as a
queue slot (``HH:00``) and whether the queue already has it. A platform whose history is too short gets no
slots and says so (``insufficient_history``): Lily does not guess. Nothing is changed: the caller adds the slots
it wants with ``PATCH .../queues/{queue_id}``. Like every queue route it needs ``advanced_scheduling``.
"""

from __future__ import annotations

from lily.core.errors import not_found
from lily.publishing.models import Queue
from lily.publishing.ports import BestTimes, SchedulingPorts
from lily.publishing.schemas import PlatformSuggestion, SuggestedSlot, SuggestedSlots
from lily.publishing.slots import WEEKDAYS

LIMIT = 5  # slots suggested per platform


def suggest(ports: SchedulingPorts, best: BestTimes, org_id: str, queue_id: str) -> SuggestedSlots:
    ports.advanced.require(org_id)
    try:
        queue = Queue.get(org_id, queue_id)
    except Queue.DoesNotExist:
        raise not_found("queue", queue_id=queue_id) from None
    connections = [ports.posts.gateway.connection(org_id, cid) for cid in queue.connection_ids]
    platforms = sorted({c.platform for c in connections if c is not None})  # a removed connection: none
    have = {(s["weekday"], s["time"]) for s in queue.slots}
    out = []
    for platform in platforms:
        found = best.best_times(org_id, platform, LIMIT)
        if not found:
            out.append(PlatformSuggestion(
                platform=platform, status="insufficient_history",
                message=f"too few settled posts with engagement on {platform} to tell its best times: no slot "
                        "is suggested rather than a guess"))
            continue
        slots = [SuggestedSlot(weekday=WEEKDAYS[d], time=f"{h:02d}:00", rank=i + 1,
                               in_queue=(WEEKDAYS[d], f"{h:02d}:00") in have) for i, (d, h) in enumerate(found)]
        out.append(PlatformSuggestion(platform=platform, status="ok", slots=slots))
    return SuggestedSlots(queue_id=queue.queue_id, timezone=ports.zones.zone(org_id), platforms=out)
