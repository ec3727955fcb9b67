from lily.billing.models import QuotaCounter
from lily.core.functions import Access, FunctionSpec, Schedule
from lily.identity.models import Membership
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="quota_reconcile",
    description="04:15 UTC daily: reset the gauge quotas (social_profiles, team_seats) from the real counts; drift as "
                "a metric",
    trigger=Schedule(expression="cron(15 4 * * ? *)"),
    memory_mb=512,
    timeout_s=600,
    access=Access(tables={QuotaCounter: "readwrite", SocialConnection: "read", Membership: "read"}),
)
