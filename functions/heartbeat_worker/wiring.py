from lily.core.functions import Access, FunctionSpec, Queue
from lily.health.models import Heartbeat

FUNCTION = FunctionSpec(
    name="heartbeat_worker",
    description="Records heartbeats from the heartbeat queue",
    trigger=Queue(queue="heartbeat", batch_size=10, max_receive_count=3),
    memory_mb=256,
    timeout_s=10,
    access=Access(tables={Heartbeat: "readwrite"}),
)
