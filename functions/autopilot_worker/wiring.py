from lily.ai.models import AIUsage
from lily.analytics.models import AnalyticsPost
from lily.approvals.models import ApprovalPolicy, ApprovalRequest
from lily.autopilot.models import AutopilotCampaign, AutopilotConfig, AutopilotLedger, AutopilotNotice, AutopilotRun
from lily.billing.models import QuotaCounter, Subscription
from lily.content.models import BrandProfile, ContentDraft
from lily.core.functions import Access, FunctionSpec, Queue
from lily.core.models import BreakerState
from lily.identity.models import AuditEvent, Membership, Org
from lily.publishing.models import Media, Post, ShortLink, Target
from lily.research.models import ResearchInsight, ResearchReport
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="autopilot_worker",
    description="Runs one org's autopilot run: reads research, best times and connections; writes posts through the "
                "content pipeline; schedules or submits them; every step reserved against quotas and the budget",
    trigger=Queue(queue="autopilot", batch_size=1, max_receive_count=3),
    memory_mb=512,
    timeout_s=300,
    primes=("openai",),  # every run writes through the AI: the SDK loads at init (in the SnapStart snapshot)
    access=Access(
        tables={AutopilotConfig: "read", AutopilotRun: "readwrite", AutopilotLedger: "readwrite",
                AutopilotCampaign: "readwrite", AutopilotNotice: "write",
                Subscription: "read", QuotaCounter: "readwrite", Org: "read",
                ResearchReport: "read", ResearchInsight: "read", AnalyticsPost: "read",
                BrandProfile: "read", ContentDraft: "readwrite", AIUsage: "readwrite", BreakerState: "readwrite",
                Post: "readwrite", Target: "readwrite", Media: "read", SocialConnection: "read",
                # autopilot's posts may wait for approval: the policy, the request, its audit, approvers e-mailed
                ApprovalPolicy: "read", ApprovalRequest: "readwrite", AuditEvent: "write", Membership: "read",
                ShortLink: "readwrite"},  # a post whose text carries a short link is recorded on it (clicks per post)
        ses_send=True,
        queues_send=["webhook_events"],  # post.needs_approval (lily.core.events)
        secrets=["ai-providers"],
    ),
)
