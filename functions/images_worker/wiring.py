from lily.core.functions import Access, FunctionSpec, Queue
from lily.images.messages import DELIVERIES

FUNCTION = FunctionSpec(
    name="images_worker",
    description="Runs image jobs: generate, moderate, score, retry, fall back to a text card, store as media",
    trigger=Queue(queue="image_jobs", batch_size=1, max_receive_count=DELIVERIES),
    memory_mb=1024,  # Pillow/numpy scoring of images up to 2k
    timeout_s=240,
    access=Access(
        tables={"image_jobs": "readwrite", "image_settings": "read", "image_styles": "read",
                "ai_usage": "readwrite", "breakers": "readwrite", "billing_subscriptions": "read",
                "billing_quota_counters": "readwrite", "publishing_media": "readwrite"},
        buckets={"media": "write"},  # the delivered image becomes a media item
        secrets=["ai-providers"],
    ),
)
