from lily.billing.models import Customer, Subscription
from lily.core.functions import Access, FunctionSpec, Schedule
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="subscription_reaper",
    description="03:00 UTC daily: downgrade ended subscriptions to free; plan-change hooks pause the excess",
    trigger=Schedule(expression="cron(0 3 * * ? *)"),
    memory_mb=512,
    timeout_s=300,
    # social_connections: the social plan-change hook pauses connections over the new limit.
    access=Access(tables={Subscription: "readwrite", Customer: "read",
                          SocialConnection: "readwrite"},
                  secrets=["stripe"],
                  queues_send=["webhook_events"]),  # subscription.changed (lily.core.events.emit)
)
