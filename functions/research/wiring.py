from lily.ai.models import AIUsage
from lily.billing.models import QuotaCounter, Subscription
from lily.core.functions import Access, FunctionSpec, Http
from lily.core.models import BreakerState
from lily.identity.models import ApiKey, Counter, Membership, Revocation
from lily.research.models import ResearchConfig, ResearchInsight, ResearchItem, ResearchJob, ResearchReport

FUNCTION = FunctionSpec(
    name="research",
    description="Research configs, on-demand runs, job status, reports, insights and memory search",
    trigger=Http(prefixes=["/api/orgs/{org_id}/research"]),
    memory_mb=512,
    timeout_s=29,
    primes=("openai",),  # memory search embeds the query: the SDK loads at init (in the snapshot)
    access=Access(
        tables={ResearchConfig: "readwrite", ResearchJob: "readwrite", ResearchItem: "read",
                ResearchReport: "read", ResearchInsight: "read", AIUsage: "readwrite",
                BreakerState: "readwrite", Subscription: "read", Membership: "read",
                Revocation: "read", ApiKey: "readwrite", Counter: "readwrite",
                QuotaCounter: "readwrite"},  # a memory search counts one AI request
        queues_send=["research"],
        vectors=True,  # memory search / embeddings indexed and retrieved
        secrets=["ai-providers", "jwt-keys"],
    ),
)
