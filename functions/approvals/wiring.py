from lily.approvals.models import ApprovalPolicy, ApprovalRequest
from lily.billing.models import QuotaCounter, Subscription
from lily.content.models import ContentDraft
from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, AuditEvent, Counter, Membership, Revocation
from lily.publishing.models import Media, Post, ShortLink, Target
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="approvals",
    description="Approval workflow: the org's policy, the queue of posts and AI drafts waiting, and decisions "
                "(approve, optionally edited, schedules the post; reject; request changes), audited and e-mailed",
    trigger=Http(prefixes=["/api/orgs/{org_id}/approvals"]),
    memory_mb=512,
    timeout_s=20,
    access=Access(
        tables={ShortLink: "readwrite",  # a post whose text carries a short link is recorded on it (clicks per post)
                ApprovalPolicy: "readwrite", ApprovalRequest: "readwrite", AuditEvent: "write",
                # approving a post schedules it (publishing's schedule: its targets, media, connections, quota)
                Post: "readwrite", Target: "readwrite", Media: "read", SocialConnection: "read",
                Subscription: "read", QuotaCounter: "readwrite", ContentDraft: "readwrite",
                Membership: "read", Revocation: "read", ApiKey: "readwrite", Counter: "readwrite"},
        ses_send=True,  # decisions are e-mailed to the author, requests to the approvers
        queues_send=["webhook_events"],  # post.needs_approval (lily.core.events)
        secrets=["jwt-keys"],
    ),
)
