from lily.ai.models import AIUsage
from lily.billing.models import QuotaCounter, Subscription
from lily.core.functions import Access, FunctionSpec, Queue
from lily.core.models import BreakerState
from lily.images.messages import DELIVERIES
from lily.images.models import ImageJob, ImageSettings, ImageStyle
from lily.publishing.models import Media

FUNCTION = FunctionSpec(
    name="images_worker",
    description="Runs image jobs: generate, moderate, score, retry, fall back to a text card, store as media",
    trigger=Queue(queue="image_jobs", batch_size=1, max_receive_count=DELIVERIES),
    memory_mb=1024,  # Pillow/numpy scoring of images up to 2k
    timeout_s=240,
    primes=("openai", "numpy", "PIL.Image"),  # every job renders through the AI SDK and scores the image
    access=Access(
        tables={ImageJob: "readwrite", ImageSettings: "read", ImageStyle: "read",
                AIUsage: "readwrite", BreakerState: "readwrite", Subscription: "read",
                QuotaCounter: "readwrite", Media: "readwrite"},
        buckets={"media": "write"},  # the delivered image becomes a media item
        secrets=["ai-providers"],
        queues_send=["webhook_events"],  # image.ready (lily.core.events.emit)
    ),
)
