from lily.analytics.models import AnalyticsFollowers, AnalyticsPost, AnalyticsSnapshot
from lily.billing.models import Subscription
from lily.content.models import ContentDraft
from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import ApiKey, Counter, Membership, Org, Revocation
from lily.publishing.models import LinkClickDay, ShortLink
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="analytics",
    description="Analytics: per post, platform and connection, top posts, heatmap, CSV export, refresh on demand",
    trigger=Http(prefixes=["/api/orgs/{org_id}/analytics"]),
    memory_mb=512,
    timeout_s=29,
    access=Access(
        tables={AnalyticsPost: "read", AnalyticsSnapshot: "read", AnalyticsFollowers: "read",
                SocialConnection: "read", Subscription: "read", Membership: "read", Revocation: "read",
                ApiKey: "readwrite", Counter: "readwrite",
                Org: "read", ContentDraft: "read",  # the org's time zone; a draft's origin (its prediction)
                ShortLink: "read", LinkClickDay: "read"},  # short-link clicks per link, post and day
        queues_send=["analytics"],  # refresh on demand
        secrets=["jwt-keys"],
    ),
)
