from lily.core.functions import Access, FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="health",
    description="GET /health (version, stage, function count) and GET /health/deep (dependencies)",
    trigger=Http(prefixes=["/health"], public=True),
    memory_mb=256,
    timeout_s=10,
    access=Access(tables={"heartbeats": "read"}, buckets={"media": "read"}, queues_probe=["heartbeat"],
                  kms_describe=True),
)
