from lily.core.functions import Access, FunctionSpec, Schedule
from lily.health.backlog import WATCHED_QUEUES

FUNCTION = FunctionSpec(
    name="heartbeat",
    description="Every five minutes, enqueue a heartbeat that heartbeat_worker records, and report every queue's "
                "dead-letter depth (dlq_items_total{queue})",
    trigger=Schedule(expression="rate(5 minutes)"),
    memory_mb=256,
    timeout_s=20,
    access=Access(queues_send=["heartbeat"], dlqs_probe=list(WATCHED_QUEUES)),
)
