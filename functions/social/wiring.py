from lily.core.functions import Access, FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="social",
    description="Connect (OAuth), list, inspect and disconnect social accounts; the public OAuth callback",
    trigger=Http(prefixes=["/api/orgs/{org_id}/social", "/api/social"], public=True),
    memory_mb=512,
    timeout_s=29,
    access=Access(
        tables={
            "social_connections": "readwrite",
            "social_oauth_states": "readwrite",
            "social_selections": "readwrite",
            "social_notices": "read",
            "billing_subscriptions": "read",
            "billing_quota_counters": "readwrite",
            "memberships": "read",
            "revocations": "read",
            "api_keys": "readwrite",
            "users": "read",
            "orgs": "read",
            "counters": "readwrite",
        },
        # encrypt: new tokens; decrypt: only the PKCE verifier and a pending account selection,
        # never a stored connection (see lily.social.connections).
        kms="both",
        secrets=["social-apps", "jwt-keys"],
        queues_send=["social_events"],
    ),
)
