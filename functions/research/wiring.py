from lily.core.functions import Access, FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="research",
    description="Research configs, on-demand runs, job status, reports, insights and memory search",
    trigger=Http(prefixes=["/api/orgs/{org_id}/research"]),
    memory_mb=512,
    timeout_s=29,
    access=Access(
        tables={"research_configs": "readwrite", "research_jobs": "readwrite", "research_items": "read",
                "research_reports": "read", "research_insights": "read", "ai_usage": "readwrite",
                "breakers": "readwrite", "billing_subscriptions": "read", "memberships": "read",
                "revocations": "read", "api_keys": "readwrite", "counters": "readwrite"},
        queues_send=["research"],
        vectors=True,  # memory search / embeddings indexed and retrieved
        secrets=["ai-providers", "jwt-keys"],
    ),
)
