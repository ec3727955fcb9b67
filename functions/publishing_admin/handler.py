"""Publishing administration: the publish DLQ (depth, safe re-queue)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Query

from lily.core.config import get_settings
from lily.core.http import create_app, http_handler
from lily.identity.access import PlatformRole, Principal, platform_access
from lily.identity.ratelimit import rate_limit_middleware
from lily.publishing import dlq
from lily.publishing.schemas import DlqDepthOut, RequeueOut

settings = get_settings()
app = create_app("Lily publishing admin", "Publish DLQ", middleware=[rate_limit_middleware])
admin = platform_access(PlatformRole.admin)


@app.get("/api/admin/publishing/dlq", response_model=DlqDepthOut, tags=["admin"])
def dlq_depth(principal: Principal = Depends(admin)) -> DlqDepthOut:
    return DlqDepthOut(queue=dlq.dlq_url().rsplit("/", 1)[-1], approximate_messages=dlq.depth())


@app.post("/api/admin/publishing/dlq/requeue", response_model=RequeueOut, tags=["admin"])
def requeue(max_messages: int = Query(100, ge=1, le=1000), principal: Principal = Depends(admin)) -> RequeueOut:
    return dlq.requeue(max_messages)


handler = http_handler(app)
