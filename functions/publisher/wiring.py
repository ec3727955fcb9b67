from lily.core.functions import Access, FunctionSpec, Queue
from lily.core.models import BreakerState
from lily.publishing.models import Attempt, Media, PacingState, Post, Target
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="publisher",
    description="Publishes each queued post target exactly once: claims, paces, calls the platform, records",
    trigger=Queue(queue="publish", batch_size=10, max_receive_count=5),
    memory_mb=512,
    timeout_s=60,
    reserved_concurrency=10,  # posts published at once (the publishing bench runs this many workers)
    # every message decrypts the connection's token and calls the platform's API
    primes=("httpx", "cryptography.hazmat.primitives.ciphers.aead"),
    access=Access(
        tables={Target: "readwrite", Post: "readwrite", Media: "read",
                BreakerState: "readwrite", PacingState: "readwrite",
                Attempt: "write", SocialConnection: "readwrite"},
        # publish: retries and deferrals re-enqueue with a delay; social_events: needs_reauth notices;
        # webhook_events: post.published / post.failed (lily.core.events.emit); first_comments: a published post's
        # first comment (lily.publishing.first_comments)
        queues_send=["publish", "social_events", "webhook_events", "first_comments"],
        buckets={"media": "read"},  # presigned GETs handed to the platforms
        kms="both",  # connection tokens: opened only here to publish, re-sealed after a refresh
        secrets=["social-apps"],
    ),
)
