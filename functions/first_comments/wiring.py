from lily.core.functions import Access, FunctionSpec, Queue
from lily.publishing.models import Post, Target
from lily.social.models import SocialConnection, SocialNotice

FUNCTION = FunctionSpec(
    name="first_comments",
    description="Posts each published target's first comment exactly once, with its own retries; notices failures",
    trigger=Queue(queue="first_comments", batch_size=5, max_receive_count=8),
    memory_mb=256,
    timeout_s=60,
    # every message decrypts the connection's token and calls the platform's API
    primes=("httpx", "cryptography.hazmat.primitives.ciphers.aead"),
    access=Access(
        tables={Target: "readwrite", Post: "read", SocialConnection: "readwrite", SocialNotice: "write"},
        # first_comments: retries and claims to wait for re-enqueue with a delay; social_events: needs_reauth
        queues_send=["first_comments", "social_events"],
        kms="both",  # connection tokens: opened to comment, re-sealed after a refresh
        secrets=["social-apps"],
    ),
)
