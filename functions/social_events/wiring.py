from lily.core.functions import Access, FunctionSpec, Queue
from lily.social.models import SocialNotice

FUNCTION = FunctionSpec(
    name="social_events",
    description="Social account events: revoke a disconnected grant at the platform; record needs_reauth notices",
    trigger=Queue(queue="social_events", batch_size=10, max_receive_count=5),
    memory_mb=256,
    timeout_s=30,
    # a revocation decrypts the connection's token and calls the platform's revoke endpoint
    primes=("httpx", "cryptography.hazmat.primitives.ciphers.aead"),
    access=Access(tables={SocialNotice: "readwrite"}, kms="decrypt", secrets=["social-apps"],
                  queues_send=["webhook_events"]),  # connection.needs_reauth (lily.core.events.emit)
)
