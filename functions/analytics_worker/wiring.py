from lily.analytics.models import AnalyticsFollowers, AnalyticsPost, AnalyticsSnapshot
from lily.billing.models import Subscription
from lily.content.models import ContentDraft
from lily.core.functions import Access, FunctionSpec, Queue
from lily.publishing.models import Media, Post, Target
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="analytics_worker",
    description="Collects one connection's post metrics for one run: snapshots and latest totals",
    trigger=Queue(queue="analytics", batch_size=5, max_receive_count=5),
    memory_mb=512,
    timeout_s=300,
    # every message reads metrics at the platforms with the connection's opened token
    primes=("httpx", "cryptography.hazmat.primitives.ciphers.aead"),
    access=Access(
        tables={AnalyticsPost: "readwrite", AnalyticsSnapshot: "write", AnalyticsFollowers: "write", Post: "read",
                Target: "read", SocialConnection: "readwrite", Subscription: "read",
                ContentDraft: "read", Media: "read"},  # a new target's origin: its draft, its generated media
        # analytics: a 429 sends the message again, delayed; social_events: needs_reauth notices
        queues_send=["analytics", "social_events"],
        kms="both",  # connection tokens: opened to read metrics, re-sealed after a refresh
        secrets=["social-apps"],
    ),
)
