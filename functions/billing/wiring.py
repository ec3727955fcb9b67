from lily.billing.models import Customer, QuotaCounter, Subscription
from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, Counter, Membership, Revocation

FUNCTION = FunctionSpec(
    name="billing",
    description="Plans, entitlements and usage, Stripe checkout / portal, in-app cancel, resume and plan change",
    # GET /api/plans* and /api/billing/health need no credentials; every /api/orgs/{org_id}/... route
    # checks membership and role in-app.
    trigger=Http(prefixes=["/api/plans", "/api/billing", "/api/orgs/{org_id}/billing",
                           "/api/orgs/{org_id}/entitlements", "/api/orgs/{org_id}/usage"], public=True),
    memory_mb=512,
    timeout_s=20,
    access=Access(
        tables={Subscription: "readwrite", Customer: "readwrite",
                QuotaCounter: "read", Membership: "read", ApiKey: "readwrite",
                Revocation: "read", Counter: "readwrite"},
        secrets=["stripe", "jwt-keys"],
        queues_send=["webhook_events"],  # subscription.changed on a plan change (lily.core.events.emit)
    ),
)
