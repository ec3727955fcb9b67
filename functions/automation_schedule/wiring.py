from lily.ai.models import AIUsage
from lily.approvals.models import ApprovalPolicy, ApprovalRequest
from lily.billing.models import QuotaCounter, Subscription
from lily.content.models import BrandProfile, ContentDraft
from lily.core.functions import Access, FunctionSpec, Schedule
from lily.core.models import BreakerState
from lily.identity.models import AuditEvent, Membership, Org
from lily.publishing.models import (
    AutoFeed,
    AutopostClaim,
    EvergreenPool,
    Media,
    Post,
    Queue,
    QueueEntry,
    RecurringRule,
    ShortLink,
    Target,
)
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="automation_schedule",
    description="Every 5 minutes: recurring occurrences and evergreen picks due within the horizon become scheduled "
                "posts; feeds due are read and their new items made into posts",
    trigger=Schedule(expression="rate(5 minutes)"),
    memory_mb=512,
    timeout_s=240,
    reserved_concurrency=1,  # one run at a time (claims make a second harmless, this makes it rare)
    # every run reads recurring rules (croniter / dateutil) and polls feeds (httpx, feedparser)
    primes=("httpx", "feedparser", "croniter", "dateutil.rrule"),
    access=Access(
        tables={RecurringRule: "readwrite", EvergreenPool: "readwrite", AutoFeed: "readwrite",
                AutopostClaim: "readwrite", Post: "readwrite", Target: "readwrite", Media: "read",
                Queue: "readwrite", QueueEntry: "readwrite", SocialConnection: "read", Org: "read",
                Subscription: "read", QuotaCounter: "readwrite",
                # a feed in approval mode submits its posts: the request, its audit, approvers e-mailed
                ApprovalPolicy: "read", ApprovalRequest: "readwrite", AuditEvent: "write", Membership: "read",
                # an evergreen pool set to vary rewords through content's rewrite (brand, draft, AI usage, breaker)
                BrandProfile: "read", ContentDraft: "readwrite", AIUsage: "readwrite", BreakerState: "readwrite",
                ShortLink: "readwrite"},  # a post whose text carries a short link is recorded on it (clicks per post)
        ses_send=True,
        secrets=["ai-providers"],
        queues_send=["webhook_events"],  # post.needs_approval (lily.core.events)
    ),
)
