from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import Counter
from lily.social.models import WebhookDelivery

FUNCTION = FunctionSpec(
    name="social_webhook",
    description="GET/POST /webhooks/{meta,x,linkedin}: answer the platforms' checks; verify, de-duplicate and "
                "enqueue comments, mentions and replies",
    trigger=Http(prefixes=["/webhooks/meta", "/webhooks/x", "/webhooks/linkedin"], public=True),  # signed
    memory_mb=256,
    timeout_s=10,
    access=Access(tables={WebhookDelivery: "readwrite", Counter: "readwrite"}, queues_send=["social_inbound"],
                  secrets=["social-apps"]),
)
