from lily.core.functions import Access, FunctionSpec, Queue
from lily.social.models import EngagementEvent, InboxItem, SocialConnection

FUNCTION = FunctionSpec(
    name="social_inbound",
    description="Engagements from platform webhooks: store them per organization connected to the account, "
                "with an inbox item each",
    trigger=Queue(queue="social_inbound", batch_size=10, max_receive_count=5),
    memory_mb=256,
    timeout_s=30,
    access=Access(tables={EngagementEvent: "readwrite", InboxItem: "readwrite", SocialConnection: "read"},
                  queues_send=["webhook_events"]),  # inbox.item_created (lily.core.events)
)
