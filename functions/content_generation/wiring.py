from lily.core.functions import Access, FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="content_generation",
    description="Brand profile CRUD and AI content generation: generate, repurpose, rewrite, drafts, save as posts",
    trigger=Http(prefixes=["/api/orgs/{org_id}/brand", "/api/orgs/{org_id}/content"]),
    memory_mb=512,
    timeout_s=29,
    access=Access(
        tables={"content_brand_profiles": "readwrite", "content_drafts": "readwrite", "ai_usage": "readwrite",
                "breakers": "readwrite", "posts": "readwrite", "post_targets": "readwrite",
                "social_connections": "read", "billing_subscriptions": "read", "research_insights": "read",
                "billing_quota_counters": "readwrite", "memberships": "read", "revocations": "read",
                "api_keys": "readwrite", "counters": "readwrite"},
        secrets=["ai-providers", "jwt-keys"],
    ),
)
