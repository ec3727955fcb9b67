from lily.billing.models import Subscription
from lily.core.functions import Access, FunctionSpec, Queue
from lily.webhooks.models import WebhookDelivery, WebhookSubscription

FUNCTION = FunctionSpec(
    name="webhook_fanout",
    description="Domain events (lily.core.events.emit) to one webhook delivery per matching subscription",
    trigger=Queue(queue="webhook_events", batch_size=10, max_receive_count=5),
    memory_mb=256,
    timeout_s=30,
    access=Access(
        tables={WebhookSubscription: "read", WebhookDelivery: "readwrite", Subscription: "read"},
        queues_send=["webhook_deliveries"],
    ),
)
