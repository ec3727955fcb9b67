from lily.analytics.models import AnalyticsPost
from lily.autopilot.models import AutopilotCampaign, AutopilotConfig, AutopilotReport, AutopilotRun
from lily.core.functions import Access, FunctionSpec, Schedule
from lily.identity.models import Membership

FUNCTION = FunctionSpec(
    name="autopilot_weekly",
    description="Sunday 08:00 UTC: the weekly report (published, performance, autopilot's plan) of every org with "
                "autopilot enabled, stored and e-mailed",
    trigger=Schedule(expression="cron(0 8 ? * SUN *)"),
    memory_mb=256,
    timeout_s=300,
    access=Access(
        tables={AutopilotConfig: "read", AutopilotRun: "read", AutopilotCampaign: "read",
                AutopilotReport: "readwrite", AnalyticsPost: "read", Membership: "read"},
        ses_send=True,
    ),
)
