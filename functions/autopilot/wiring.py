from lily.autopilot.models import AutopilotConfig, AutopilotNotice, AutopilotReport, AutopilotRun
from lily.billing.models import Subscription
from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, Counter, Membership, Org, Revocation

FUNCTION = FunctionSpec(
    name="autopilot",
    description="Autopilot: per-org settings, manual runs (queued), the runs' logs, limit notices, weekly reports",
    trigger=Http(prefixes=["/api/orgs/{org_id}/autopilot"]),
    memory_mb=512,
    timeout_s=20,
    access=Access(
        tables={AutopilotConfig: "readwrite", AutopilotRun: "readwrite", AutopilotNotice: "readwrite",
                AutopilotReport: "read", Subscription: "read", Org: "read",
                Membership: "read", Revocation: "read", ApiKey: "readwrite", Counter: "readwrite"},
        queues_send=["autopilot"],  # a manual run
        secrets=["jwt-keys"],
    ),
)
