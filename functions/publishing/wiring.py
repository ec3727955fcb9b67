from lily.analytics.models import AnalyticsPost
from lily.approvals.models import ApprovalPolicy, ApprovalRequest
from lily.billing.models import QuotaCounter, Subscription
from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, AuditEvent, Counter, Membership, Org, Revocation
from lily.publishing.models import IdempotencyRecord, Media, MediaUse, Post, Queue, QueueEntry, ShortLink, Target
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="publishing",
    description="Posts (drafts, content library, schedule, cancel), posting queues, the calendar and media "
                "uploads (presigned S3 POST)",
    trigger=Http(prefixes=["/api/orgs/{org_id}/posts", "/api/orgs/{org_id}/media", "/api/orgs/{org_id}/queues",
                           "/api/orgs/{org_id}/calendar"]),
    memory_mb=512,
    timeout_s=20,
    access=Access(
        tables={Post: "readwrite", Target: "readwrite", Media: "readwrite", MediaUse: "readwrite",
                IdempotencyRecord: "readwrite", SocialConnection: "read",
                Queue: "readwrite", QueueEntry: "readwrite", Org: "read",
                Subscription: "read", QuotaCounter: "readwrite",
                Membership: "read", Revocation: "read", ApiKey: "readwrite", Counter: "readwrite",
                # the approval policy decides who waits; a submitted post opens a request, audited, approvers e-mailed
                ApprovalPolicy: "read", ApprovalRequest: "readwrite", AuditEvent: "write",
                AnalyticsPost: "read",  # a queue's suggested slots: the org's best times (its own engagement)
                ShortLink: "readwrite"},  # a post whose text carries a short link is recorded on it (clicks per post)
        ses_send=True,
        # write: presigned upload policies are signed with this role's credentials
        buckets={"media": "readwrite"},
        queues_send=["webhook_events"],  # post.needs_approval (lily.core.events)
        secrets=["jwt-keys"],
    ),
)
