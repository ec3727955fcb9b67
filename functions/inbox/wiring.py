from lily.ai.models import AIUsage
from lily.billing.models import QuotaCounter, Subscription
from lily.content.models import BrandProfile
from lily.core.functions import Access, FunctionSpec, Http
from lily.core.models import BreakerState
from lily.identity.models import ApiKey, Counter, Membership, Revocation
from lily.social.models import InboxItem

FUNCTION = FunctionSpec(
    name="inbox",
    description="The engagement inbox: list and triage comments, mentions and replies, queue a reply, suggest one",
    trigger=Http(prefixes=["/api/orgs/{org_id}/inbox"]),
    memory_mb=512,
    timeout_s=29,
    access=Access(
        tables={InboxItem: "readwrite", Membership: "read", Revocation: "read", ApiKey: "readwrite",
                Counter: "readwrite",
                # the AI reply suggestion: the brand voice, the AI quota and usage, the provider breaker
                BrandProfile: "read", Subscription: "read", QuotaCounter: "readwrite", AIUsage: "readwrite",
                BreakerState: "readwrite"},
        secrets=["ai-providers", "jwt-keys"],
        queues_send=["social_replies"],
    ),
)
