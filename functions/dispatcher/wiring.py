from lily.core.functions import Access, FunctionSpec, Schedule
from lily.publishing.models import Target

FUNCTION = FunctionSpec(
    name="dispatcher",
    description="Every minute: due post targets scheduled → queued, enqueued for their exact second",
    trigger=Schedule(expression="rate(1 minute)"),
    memory_mb=512,
    timeout_s=55,
    access=Access(tables={Target: "readwrite"}, queues_send=["publish"]),
)
