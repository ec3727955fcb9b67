from lily.approvals.models import ApprovalPolicy, ApprovalRequest
from lily.billing.models import QuotaCounter, Subscription
from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, AuditEvent, Counter, Membership, Org, Revocation
from lily.publishing.models import (
    AutoFeed,
    AutopostClaim,
    BulkImport,
    EvergreenPool,
    ImportRow,
    LinkClickDay,
    LinkSettings,
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
    name="automation",
    description="Recurring posts, evergreen pools, feeds that post themselves (RSS/Atom through the SSRF guard) and "
                "bulk imports (validated, then made asynchronously), short links with UTM",
    trigger=Http(prefixes=["/api/orgs/{org_id}/recurring", "/api/orgs/{org_id}/evergreen",
                           "/api/orgs/{org_id}/feeds", "/api/orgs/{org_id}/imports",
                           "/api/orgs/{org_id}/links"]),
    memory_mb=512,
    timeout_s=29,
    # adding a feed fetches it (httpx through the SSRF guard) and parses it (feedparser); recurring rules are read
    # by croniter / dateutil
    primes=("httpx", "feedparser", "croniter", "dateutil.rrule"),
    access=Access(
        tables={RecurringRule: "readwrite", EvergreenPool: "readwrite", AutoFeed: "readwrite",
                AutopostClaim: "readwrite", BulkImport: "readwrite", ImportRow: "readwrite",
                Post: "readwrite", Target: "readwrite", Media: "read", Queue: "readwrite", QueueEntry: "readwrite",
                SocialConnection: "read", Org: "read", Subscription: "read", QuotaCounter: "readwrite",
                ShortLink: "readwrite", LinkSettings: "readwrite", LinkClickDay: "read",
                Membership: "read", Revocation: "read", ApiKey: "readwrite", Counter: "readwrite",
                # a feed in approval mode submits its posts: the request, its audit, approvers e-mailed
                ApprovalPolicy: "read", ApprovalRequest: "readwrite", AuditEvent: "write"},
        ses_send=True,
        queues_send=["imports", "webhook_events"],  # webhook_events: post.needs_approval (lily.core.events)
        secrets=["jwt-keys"],
    ),
)
