from lily.core.functions import Access, FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="orgs",
    description="Organizations: create, members and roles, invitations, ownership transfer, API keys, org audit log",
    trigger=Http(prefixes=["/api/orgs", "/api/invites"]),
    memory_mb=512,
    timeout_s=15,
    access=Access(
        tables={"orgs": "readwrite", "memberships": "readwrite", "users": "read", "auth_tokens": "readwrite",
                "revocations": "read", "counters": "readwrite", "api_keys": "readwrite", "audit_log": "readwrite",
                "billing_subscriptions": "read", "billing_quota_counters": "readwrite"},
        secrets=["jwt-keys"],
        ses_send=True,
    ),
)
