from lily.ai.models import AIUsage
from lily.billing.models import QuotaCounter, Subscription
from lily.core.functions import Access, FunctionSpec, Http
from lily.core.models import BreakerState
from lily.identity.models import ApiKey, Counter, Membership, Revocation
from lily.images.models import ImageJob, ImageSettings, ImageStyle

FUNCTION = FunctionSpec(
    name="images",
    description="AI images: accept generation jobs (202), job status, org image settings and the style vault",
    trigger=Http(prefixes=["/api/orgs/{org_id}/images"]),
    memory_mb=512,
    timeout_s=29,
    primes=("openai",),  # accepting a job moderates its prompt through the SDK: it loads at init (in the snapshot)
    access=Access(
        tables={ImageJob: "readwrite", ImageSettings: "readwrite", ImageStyle: "readwrite",
                AIUsage: "readwrite", BreakerState: "readwrite", Subscription: "read",
                QuotaCounter: "readwrite", Membership: "read", Revocation: "read",
                ApiKey: "readwrite", Counter: "readwrite"},
        queues_send=["image_jobs"],
        secrets=["ai-providers", "jwt-keys"],  # ai-providers: the prompt is moderated before a job is accepted
    ),
)
