from lily.core.functions import Access, FunctionSpec, Schedule
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="token_health",
    description="Daily: refresh or validate every social connection; mark lost ones needs_reauth and notify",
    trigger=Schedule(expression="cron(30 2 * * ? *)"),
    memory_mb=512,
    timeout_s=600,
    # every connection's token is decrypted, then refreshed or validated with its platform
    primes=("httpx", "cryptography.hazmat.primitives.ciphers.aead"),
    access=Access(
        tables={SocialConnection: "readwrite"}, kms="both", secrets=["social-apps"], queues_send=["social_events"]
    ),
)
