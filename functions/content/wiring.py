from lily.core.functions import Access, FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="content",
    description="Posts (drafts, content library, schedule, cancel) and media uploads (presigned S3 POST)",
    trigger=Http(prefixes=["/api/orgs/{org_id}/posts", "/api/orgs/{org_id}/media"]),
    memory_mb=512,
    timeout_s=20,
    access=Access(
        tables={"posts": "readwrite", "post_targets": "readwrite", "publishing_media": "readwrite",
                "publishing_idempotency": "readwrite", "social_connections": "read",
                "billing_subscriptions": "read", "billing_quota_counters": "readwrite",
                "memberships": "read", "revocations": "read", "api_keys": "readwrite", "counters": "readwrite"},
        # write: presigned upload policies are signed with this role's credentials
        buckets={"media": "write"},
        secrets=["jwt-keys"],
    ),
)
