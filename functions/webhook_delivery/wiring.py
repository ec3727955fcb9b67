from lily.core.functions import Access, FunctionSpec, Queue
from lily.webhooks.models import WebhookDelivery, WebhookSubscription

FUNCTION = FunctionSpec(
    name="webhook_delivery",
    description="Delivers each outbound webhook: signed POST through the SSRF guard, retries for 24 h, then the DLQ",
    trigger=Queue(queue="webhook_deliveries", batch_size=5, max_receive_count=3),
    memory_mb=256,
    # a batch of 5 deliveries, each at most LILY_WEBHOOKS_TIMEOUT_S (10 s) plus its records
    timeout_s=60,
    # every delivery opens its subscription's secret and calls the receiver over HTTP
    primes=("httpx", "cryptography.hazmat.primitives.ciphers.aead"),
    access=Access(
        tables={WebhookDelivery: "readwrite", WebhookSubscription: "readwrite"},
        queues_send=["webhook_deliveries"],  # retries re-enqueue with a delay
        kms="decrypt",
    ),
)
