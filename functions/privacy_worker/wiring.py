from lily.composition import data_models
from lily.core.functions import Access, FunctionSpec, Queue

FUNCTION = FunctionSpec(
    name="privacy_worker",
    description="Runs export jobs (JSON archive to S3, link e-mailed) and erasures (every table, bucket prefix and "
                "vector index; platform grants revoked, Stripe subscription cancelled), resuming where a run stopped",
    trigger=Queue(queue="privacy", batch_size=1, max_receive_count=5),
    memory_mb=1024,
    timeout_s=900,
    # an export writes a zip archive; an erasure opens each connection's sealed tokens (AES-GCM) and revokes them
    # over the platforms' HTTP APIs
    primes=("httpx", "cryptography.hazmat.primitives.ciphers.aead", "zipfile"),
    # every table the deployment has: the export reads each, the erasure deletes or anonymises in each
    access=Access(
        tables=dict.fromkeys(data_models(), "readwrite"),
        buckets={"media": "readwrite"},
        kms="decrypt",  # platform tokens are opened to revoke them
        secrets=["social-apps", "stripe", "ai-providers"],
        vectors=True,
        ses_send=True,
    ),
)
