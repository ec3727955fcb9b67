from lily.autopilot.models import AutopilotConfig, AutopilotNotice, AutopilotRun
from lily.billing.models import Subscription
from lily.core.functions import Access, FunctionSpec, Schedule
from lily.identity.models import Org

FUNCTION = FunctionSpec(
    name="autopilot_schedule",
    description="Hourly: every enabled org whose local run hour (06:00 in its time zone) has come gets one run "
                "through the autopilot queue",
    trigger=Schedule(expression="cron(0 * * * ? *)"),
    memory_mb=256,
    timeout_s=120,
    access=Access(
        tables={AutopilotConfig: "readwrite", AutopilotRun: "readwrite", AutopilotNotice: "write",
                Subscription: "read", Org: "read"},
        queues_send=["autopilot"],
    ),
)
