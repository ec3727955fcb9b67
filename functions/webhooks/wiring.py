from lily.billing.models import Subscription
from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, Counter, Membership, Revocation
from lily.webhooks.models import WebhookDelivery, WebhookSubscription

FUNCTION = FunctionSpec(
    name="webhooks",
    description="Outbound webhooks: subscriptions (secret shown once), deliveries, redelivery and replay",
    trigger=Http(prefixes=["/api/orgs/{org_id}/webhooks"]),
    memory_mb=256,
    timeout_s=20,
    # creating a subscription seals its secret (KMS envelope, AES-GCM)
    primes=("cryptography.hazmat.primitives.ciphers.aead",),
    access=Access(
        tables={WebhookSubscription: "readwrite", WebhookDelivery: "readwrite", Subscription: "read",
                Membership: "read", Revocation: "read", ApiKey: "readwrite",
                Counter: "readwrite"},
        queues_send=["webhook_deliveries"],  # redelivery and replay
        kms="encrypt",  # a new subscription's secret is sealed here and opened only by the delivery worker
        secrets=["jwt-keys"],
    ),
)
