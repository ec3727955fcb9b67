from lily.billing.models import QuotaCounter, Subscription
from lily.core.functions import Access, FunctionSpec, Schedule
from lily.identity.models import Org
from lily.publishing.models import (
    AutoFeed,
    AutopostClaim,
    EvergreenPool,
    Media,
    Post,
    Queue,
    QueueEntry,
    RecurringRule,
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
                Subscription: "read", QuotaCounter: "readwrite"},
    ),
)
