from lily.core.functions import Access, FunctionSpec, Schedule

FUNCTION = FunctionSpec(
    name="research_schedule",
    description="Every 5 minutes: research configs whose cadence is due get one run through the research queue",
    trigger=Schedule(expression="rate(5 minutes)"),
    memory_mb=256,
    timeout_s=60,
    access=Access(
        tables={"research_configs": "readwrite", "research_jobs": "readwrite", "billing_subscriptions": "read"},
        queues_send=["research"],
    ),
)
