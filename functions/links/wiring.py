from lily.core.functions import Access, FunctionSpec, Http
from lily.identity.models import Counter
from lily.publishing.models import LinkClickDay, ShortLink

FUNCTION = FunctionSpec(
    name="links",
    description="GET /l/{code}: redirect a short link Lily created (301/302 by the org's setting) and count the click",
    trigger=Http(prefixes=["/l"], public=True),  # public: a short link is followed by anyone
    memory_mb=256,
    timeout_s=10,
    access=Access(tables={ShortLink: "readwrite", LinkClickDay: "readwrite", Counter: "readwrite"}),
)
