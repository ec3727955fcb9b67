from lily.billing.models import QuotaCounter, Subscription
from lily.core.functions import Access, FunctionSpec, Queue
from lily.identity.models import Org
from lily.publishing.models import (
    AutopostClaim,
    BulkImport,
    ImportRow,
    Media,
    Post,
    QueueEntry,
    ShortLink,
    Target,
)
from lily.publishing.models import Queue as PostingQueue
from lily.social.models import SocialConnection

FUNCTION = FunctionSpec(
    name="imports_worker",
    description="Makes the validated rows of a bulk import into posts (media fetched through the SSRF guard into "
                "the media store), a chunk of rows per message",
    trigger=Queue(queue="imports", batch_size=1, max_receive_count=3),
    memory_mb=512,
    timeout_s=300,
    # rows with media URLs fetch them through the SSRF guard (httpx)
    primes=("httpx",),
    access=Access(
        tables={BulkImport: "readwrite", ImportRow: "readwrite", AutopostClaim: "readwrite", Post: "readwrite",
                Target: "readwrite", Media: "readwrite", PostingQueue: "readwrite", QueueEntry: "readwrite",
                SocialConnection: "read", Org: "read", Subscription: "read", QuotaCounter: "readwrite",
                ShortLink: "readwrite"},  # a post whose text carries a short link is recorded on it (clicks per post)
        buckets={"media": "write"},
    ),
)
