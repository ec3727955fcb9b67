from lily.core.functions import Access, FunctionSpec, Schedule

FUNCTION = FunctionSpec(
    name="heartbeat",
    description="Every five minutes, enqueue a heartbeat that heartbeat_worker records",
    trigger=Schedule(expression="rate(5 minutes)"),
    memory_mb=256,
    timeout_s=10,
    access=Access(queues_send=["heartbeat"]),
)
