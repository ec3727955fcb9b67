from lily.core.functions import Access, FunctionSpec, Schedule
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="analytics_schedule",
    description="Hourly (the 02:00 UTC run collects every recent post, the others posts younger than 48 h): one "
                "analytics message per active connection",
    trigger=Schedule(expression="cron(0 * * * ? *)"),
    memory_mb=256,
    timeout_s=120,
    access=Access(tables={SocialConnection: "read"}, queues_send=["analytics"]),
)
