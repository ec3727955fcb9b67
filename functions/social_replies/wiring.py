from lily.core.functions import Access, FunctionSpec, Queue
from lily.social.models import InboxItem, SocialConnection

FUNCTION = FunctionSpec(
    name="social_replies",
    description="Sends each reply queued from the inbox exactly once: claims, reconciles, calls the platform, records",
    trigger=Queue(queue="social_replies", batch_size=5, max_receive_count=8),
    memory_mb=256,
    timeout_s=60,
    # every message decrypts the connection's token and calls the platform's API
    primes=("httpx", "cryptography.hazmat.primitives.ciphers.aead"),
    access=Access(
        tables={InboxItem: "readwrite", SocialConnection: "readwrite"},
        # social_replies: retries and claims to wait for re-enqueue with a delay; social_events: needs_reauth notices
        queues_send=["social_replies", "social_events"],
        kms="both",  # connection tokens: opened to reply, re-sealed after a refresh
        secrets=["social-apps"],
    ),
)
