from lily.core.functions import Access, FunctionSpec, Schedule
from lily.health.backlog import WATCHED_QUEUES

FUNCTION = FunctionSpec(
    name="ops_metrics",
    description="Every five minutes: each queue's dead-letter depth as dlq_items_total{queue}",
    trigger=Schedule(expression="rate(5 minutes)"),
    memory_mb=256,
    timeout_s=30,
    access=Access(dlqs_probe=list(WATCHED_QUEUES)),
)
