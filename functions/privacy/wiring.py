from lily.billing.models import Subscription
from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, Counter, Membership, Org, Revocation
from lily.privacy.models import PrivacyJob

FUNCTION = FunctionSpec(
    name="privacy",
    description="Data rights: the retention registry, export jobs (a person's own data, an organization's) and "
                "erasure with a cancellable grace period",
    trigger=Http(prefixes=["/api/data", "/api/me", "/api/orgs/{org_id}/export", "/api/orgs/{org_id}/erasure"]),
    memory_mb=512,
    timeout_s=15,
    access=Access(
        tables={PrivacyJob: "readwrite", Membership: "read", Org: "read", Subscription: "read",
                Revocation: "read", ApiKey: "readwrite", Counter: "readwrite"},
        queues_send=["privacy"],
        secrets=["jwt-keys"],
    ),
)
