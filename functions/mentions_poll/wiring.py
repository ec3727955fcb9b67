from lily.core.functions import Access, FunctionSpec, Schedule
from lily.social.models import MentionCursor, SocialConnection

FUNCTION = FunctionSpec(
    name="mentions_poll",
    description="Every 15 minutes: poll mentions (X since_id) for platforms without webhooks, paced, and queue them",
    trigger=Schedule(expression="rate(15 minutes)"),
    memory_mb=256,
    timeout_s=300,
    # every polled account's token is decrypted and its mentions read from the platform
    primes=("httpx", "cryptography.hazmat.primitives.ciphers.aead"),
    access=Access(
        tables={SocialConnection: "readwrite", MentionCursor: "readwrite"}, kms="both", secrets=["social-apps"],
        queues_send=["social_inbound", "social_events"],
    ),
)
