from lily.core.functions import Access, FunctionSpec, Schedule
from lily.privacy.models import PrivacyJob

FUNCTION = FunctionSpec(
    name="privacy_schedule",
    description="Every 15 minutes: queue the erasures whose grace period is over",
    trigger=Schedule(expression="rate(15 minutes)"),
    memory_mb=256,
    timeout_s=60,
    access=Access(tables={PrivacyJob: "readwrite"}, queues_send=["privacy"]),
)
