from lily.core.functions import Access, FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="images",
    description="AI images: accept generation jobs (202), job status, org image settings and the style vault",
    trigger=Http(prefixes=["/api/orgs/{org_id}/images"]),
    memory_mb=512,
    timeout_s=29,
    access=Access(
        tables={"image_jobs": "readwrite", "image_settings": "readwrite", "image_styles": "readwrite",
                "ai_usage": "readwrite", "breakers": "readwrite", "billing_subscriptions": "read",
                "billing_quota_counters": "readwrite", "memberships": "read", "revocations": "read",
                "api_keys": "readwrite", "counters": "readwrite"},
        queues_send=["image_jobs"],
        secrets=["ai-providers", "jwt-keys"],  # ai-providers: the prompt is moderated before a job is accepted
    ),
)
