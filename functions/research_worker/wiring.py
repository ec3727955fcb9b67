from lily.core.functions import Access, FunctionSpec, Queue

FUNCTION = FunctionSpec(
    name="research_worker",
    description="Runs one research job: feeds and own posts, embeddings and the vector index, themes, the report",
    trigger=Queue(queue="research", batch_size=1, max_receive_count=3),
    memory_mb=1024,
    timeout_s=300,
    access=Access(
        tables={"research_configs": "read", "research_jobs": "readwrite", "research_items": "readwrite",
                "research_reports": "readwrite", "research_insights": "readwrite", "ai_usage": "readwrite",
                "breakers": "readwrite", "billing_subscriptions": "read", "posts": "read", "post_targets": "read",
                "social_connections": "readwrite"},
        kms="both",  # connection tokens: opened to read engagement, re-sealed after a refresh
        vectors=True,  # memory search / embeddings indexed and retrieved
        secrets=["ai-providers", "social-apps"],
    ),
)
