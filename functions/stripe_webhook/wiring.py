from lily.billing.models import WebhookEvent
from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import Counter

FUNCTION = FunctionSpec(
    name="stripe_webhook",
    description="POST /webhooks/stripe: verify Stripe-Signature, drop replays, enqueue allowed events",
    trigger=Http(prefixes=["/webhooks/stripe"], public=True),  # authenticated by the signature
    memory_mb=256,
    timeout_s=10,
    access=Access(tables={WebhookEvent: "readwrite", Counter: "readwrite"}, queues_send=["billing_events"],
                  secrets=["stripe"]),
)
