from lily.billing.models import Customer, Subscription
from lily.core.functions import Access, FunctionSpec, Queue
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="billing_worker",
    description="Applies Stripe events: re-fetches the subscription and derives the organization's plan",
    trigger=Queue(queue="billing_events", batch_size=5, max_receive_count=5),
    memory_mb=512,
    timeout_s=30,
    # social_connections: the social plan-change hook pauses connections over the new limit.
    access=Access(tables={Subscription: "readwrite", Customer: "read",
                          SocialConnection: "readwrite"},
                  secrets=["stripe"],
                  queues_send=["webhook_events"]),  # subscription.changed (lily.core.events.emit)
)
