from lily.ai.models import AIUsage
from lily.analytics.models import AnalyticsPost
from lily.approvals.models import ApprovalPolicy, ApprovalRequest
from lily.billing.models import QuotaCounter, Subscription
from lily.content.models import BrandProfile, ContentDraft, ContentJob
from lily.core.functions import Access, FunctionSpec, Http
from lily.core.models import BreakerState
from lily.identity.models import ApiKey, AuditEvent, Counter, Membership, Revocation
from lily.publishing.models import Post, ShortLink, Target
from lily.research.models import ResearchInsight
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="content",
    description="Brand profile CRUD and AI content generation: generate, repurpose, rewrite, drafts, save as posts",
    trigger=Http(prefixes=["/api/orgs/{org_id}/brand", "/api/orgs/{org_id}/content"]),
    memory_mb=512,
    timeout_s=29,
    primes=("openai",),  # every generation calls the AI: the SDK loads at init (in the SnapStart snapshot)
    access=Access(
        tables={ShortLink: "readwrite",  # a post whose text carries a short link is recorded on it (clicks per post)
                BrandProfile: "readwrite", ContentDraft: "readwrite", AIUsage: "readwrite",
                BreakerState: "readwrite", Post: "readwrite", Target: "readwrite",
                SocialConnection: "read", Subscription: "read", ResearchInsight: "read",
                QuotaCounter: "readwrite", Membership: "read", Revocation: "read",
                ApiKey: "readwrite", Counter: "readwrite", AnalyticsPost: "read",  # analytics: best performers
                ContentJob: "readwrite",
                # a flagged draft's approve is a decision of the approval workflow: audited, its author e-mailed
                ApprovalPolicy: "read", ApprovalRequest: "readwrite", AuditEvent: "write"},
        # webhook_events: post.needs_approval (lily.core.events); content_jobs: generations too large for the
        # synchronous window (lily.content.jobs)
        queues_send=["webhook_events", "content_jobs"],
        secrets=["ai-providers", "jwt-keys"],
        ses_send=True,
    ),
)
