from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, AuditEvent, Counter, Membership, Revocation, User, UserEmail

FUNCTION = FunctionSpec(
    name="admin",
    description=("Platform administration: users and platform roles (super_admin), settings (admin), "
                 "audit and metrics (moderator)"),
    trigger=Http(prefixes=["/api/admin"]),
    memory_mb=512,
    timeout_s=15,
    access=Access(
        tables={User: "readwrite", UserEmail: "read", Membership: "read", Revocation: "readwrite",
                Counter: "readwrite", ApiKey: "readwrite", AuditEvent: "readwrite"},
        secrets=["jwt-keys"],
    ),
)
