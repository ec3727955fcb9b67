from lily.ai.models import AIUsage
from lily.analytics.models import AnalyticsPost
from lily.approvals.models import ApprovalPolicy, ApprovalRequest
from lily.autopilot.models import AutopilotCampaign, AutopilotConfig, AutopilotLedger, AutopilotNotice, AutopilotRun
from lily.billing.models import QuotaCounter, Subscription
from lily.content.models import BrandProfile, ContentDraft
from lily.core.functions import Access, FunctionSpec, Queue
from lily.core.models import BreakerState
from lily.identity.models import AuditEvent, Membership, Org
from lily.images.models import ImageJob, ImageSettings, ImageStyle
from lily.publishing.models import Media, Post, ShortLink, Target
from lily.research.models import ResearchInsight, ResearchReport
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="autopilot_worker",
    description="Runs one org's autopilot run: reads research, best times and connections; writes posts through the "
                "content pipeline, starts their images through the image pipeline; schedules or submits them (a "
                "post with an image when a later look sees its job end); every step reserved against quotas and "
                "the budget",
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
                Post: "readwrite", Target: "readwrite", Media: "readwrite", SocialConnection: "read",
                # images: a job accepted through the image pipeline (its settings and styles personalise it);
                # Media readwrite: the storage check may reclaim expired upload reservations (lily.publishing.media)
                ImageJob: "readwrite", ImageSettings: "read", ImageStyle: "read",
                # autopilot's posts may wait for approval: the policy, the request, its audit, approvers e-mailed
                ApprovalPolicy: "read", ApprovalRequest: "readwrite", AuditEvent: "write", Membership: "read",
                ShortLink: "readwrite"},  # a post whose text carries a short link is recorded on it (clicks per post)
        ses_send=True,
        buckets={"media": "read"},  # the storage check looks at expired upload reservations' objects
        # post.needs_approval (lily.core.events); image jobs; the run's later look at its image jobs (itself)
        queues_send=["webhook_events", "image_jobs", "autopilot"],
        secrets=["ai-providers"],
    ),
)
