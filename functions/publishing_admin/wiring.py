from lily.core.functions import Access, FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="publishing_admin",
    description="Platform admins: publish DLQ depth and safe re-queue of its messages",
    trigger=Http(prefixes=["/api/admin/publishing"]),
    memory_mb=256,
    timeout_s=29,
    access=Access(
        tables={"post_targets": "readwrite", "posts": "readwrite", "memberships": "read", "revocations": "read",
                "api_keys": "readwrite", "counters": "readwrite"},
        # Re-queued targets get a new message on the publish queue; the old one leaves the DLQ.
        queues_send=["publish"],
        dlqs_drain=["publish"],
        secrets=["jwt-keys"],
    ),
)
