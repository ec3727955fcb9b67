from lily.ai.models import AIUsage
from lily.analytics.models import AnalyticsPost
from lily.billing.models import QuotaCounter, Subscription
from lily.core.functions import Access, FunctionSpec, Queue
from lily.core.models import BreakerState
from lily.publishing.models import Post, Target
from lily.research.models import ResearchConfig, ResearchInsight, ResearchItem, ResearchJob, ResearchReport

FUNCTION = FunctionSpec(
    name="research_worker",
    description="Runs one research job: feeds and own posts, embeddings and the vector index, themes, the report",
    trigger=Queue(queue="research", batch_size=1, max_receive_count=3),
    memory_mb=1024,
    timeout_s=300,
    # every run calls the AI (synthesis, embeddings) and scores with numpy; own posts' engagement is what
    # analytics collected (analytics_posts), no social token is opened
    primes=("openai", "numpy"),
    access=Access(
        tables={ResearchConfig: "readwrite", ResearchJob: "readwrite", ResearchItem: "readwrite",
                ResearchReport: "readwrite", ResearchInsight: "readwrite", AIUsage: "readwrite",
                BreakerState: "readwrite", Subscription: "read", Post: "read", Target: "read",
                AnalyticsPost: "read", QuotaCounter: "readwrite"},  # the synthesis counts one AI request
        vectors=True,  # memory search / embeddings indexed and retrieved
        secrets=["ai-providers"],
        queues_send=["webhook_events"],  # research.completed (lily.core.events.emit)
    ),
)
