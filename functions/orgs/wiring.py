from lily.billing.models import QuotaCounter, Subscription
from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, AuditEvent, AuthToken, Counter, Membership, Org, Revocation, User

FUNCTION = FunctionSpec(
    name="orgs",
    description="Organizations: create, members and roles, invitations, ownership transfer, API keys, org audit log",
    trigger=Http(prefixes=["/api/orgs", "/api/invites"]),
    memory_mb=512,
    timeout_s=15,
    access=Access(
        tables={Org: "readwrite", Membership: "readwrite", User: "read", AuthToken: "readwrite",
                Revocation: "read", Counter: "readwrite", ApiKey: "readwrite", AuditEvent: "readwrite",
                Subscription: "read", QuotaCounter: "readwrite"},
        secrets=["jwt-keys"],
        ses_send=True,
    ),
)
