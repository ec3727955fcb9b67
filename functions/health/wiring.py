from lily.core.functions import Access, FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="health",
    description="GET /health (public: version, stage, function count) and GET /health/deep (dependencies; "
                "platform admins or the operator token, rate limited)",
    trigger=Http(prefixes=["/health"], public=True),
    memory_mb=256,
    timeout_s=10,
    access=Access(tables={"heartbeats": "read", "revocations": "read", "api_keys": "readwrite",
                          "counters": "readwrite"},
                  buckets={"media": "read"}, queues_probe=["heartbeat"], kms_describe=True, secrets=["jwt-keys"]),
)
