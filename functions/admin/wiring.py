from lily.core.functions import Access, FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="admin",
    description=("Platform administration: users and platform roles (super_admin), settings (admin), "
                 "audit and metrics (moderator)"),
    trigger=Http(prefixes=["/api/admin"]),
    memory_mb=512,
    timeout_s=15,
    access=Access(
        tables={"users": "readwrite", "user_emails": "read", "memberships": "read", "revocations": "readwrite",
                "counters": "readwrite", "api_keys": "readwrite", "audit_log": "readwrite"},
        secrets=["jwt-keys"],
    ),
)
