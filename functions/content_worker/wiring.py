from lily.ai.models import AIUsage
from lily.billing.models import QuotaCounter, Subscription
from lily.content.jobs import DELIVERIES
from lily.content.models import BrandProfile, ContentDraft, ContentJob
from lily.core.functions import Access, FunctionSpec, Queue
from lily.core.models import BreakerState
from lily.research.models import ResearchInsight

FUNCTION = FunctionSpec(
    name="content_worker",
    description="Runs generations too large for the synchronous window (answered 202 with a job)",
    trigger=Queue(queue="content_jobs", batch_size=1, max_receive_count=DELIVERIES),
    memory_mb=512,
    timeout_s=300,
    primes=("openai",),  # every job calls the AI: the SDK loads at init (in the snapshot)
    access=Access(
        tables={ContentJob: "readwrite", BrandProfile: "read", ContentDraft: "readwrite", AIUsage: "readwrite",
                BreakerState: "readwrite", Subscription: "read", QuotaCounter: "readwrite",
                ResearchInsight: "read"},
        secrets=["ai-providers"],
    ),
)
