from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, Counter, Membership, Revocation
from lily.publishing.models import Post, Target

FUNCTION = FunctionSpec(
    name="publishing_admin",
    description="Platform admins: publish DLQ depth and safe re-queue of its messages",
    trigger=Http(prefixes=["/api/admin/publishing"]),
    memory_mb=256,
    timeout_s=29,
    access=Access(
        tables={Target: "readwrite", Post: "readwrite", Membership: "read", Revocation: "read",
                ApiKey: "readwrite", Counter: "readwrite"},
        # Re-queued targets get a new message on the publish queue; the old one leaves the DLQ.
        queues_send=["publish"],
        dlqs_drain=["publish"],
        secrets=["jwt-keys"],
    ),
)
