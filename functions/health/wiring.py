from lily.core.functions import Access, FunctionSpec, Http
from lily.health.models import Heartbeat
from lily.identity.models import ApiKey, Counter, Revocation

FUNCTION = FunctionSpec(
    name="health",
    description="GET /health (public: version, stage, function count) and GET /health/deep (dependencies; "
                "platform admins or the operator token, rate limited)",
    trigger=Http(prefixes=["/health"], public=True),
    memory_mb=256,
    timeout_s=10,
    access=Access(tables={Heartbeat: "read", Revocation: "read", ApiKey: "readwrite",
                          Counter: "readwrite"},
                  buckets={"media": "read"}, queues_probe=["heartbeat"], kms_describe=True, secrets=["jwt-keys"]),
)
