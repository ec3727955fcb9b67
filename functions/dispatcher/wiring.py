from lily.core.functions import Access, FunctionSpec, Schedule

FUNCTION = FunctionSpec(
    name="dispatcher",
    description="Every minute: due post targets scheduled → queued, enqueued for their exact second",
    trigger=Schedule(expression="rate(1 minute)"),
    memory_mb=512,
    timeout_s=55,
    access=Access(tables={"post_targets": "readwrite"}, queues_send=["publish"]),
)
