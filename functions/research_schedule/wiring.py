from lily.billing.models import Subscription
from lily.core.functions import Access, FunctionSpec, Schedule
from lily.research.models import ResearchConfig, ResearchJob

FUNCTION = FunctionSpec(
    name="research_schedule",
    description="Every 5 minutes: research configs whose cadence is due get one run through the research queue",
    trigger=Schedule(expression="rate(5 minutes)"),
    memory_mb=256,
    timeout_s=60,
    access=Access(
        tables={ResearchConfig: "readwrite", ResearchJob: "readwrite", Subscription: "read"},
        queues_send=["research"],
    ),
)
