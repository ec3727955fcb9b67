"""Routes that exist only in local mode (``/_local/...``): never deployed."""

from __future__ import annotations

from fastapi import APIRouter

from lily.core import observability
from lily.core.errors import not_found

router = APIRouter(prefix="/_local", tags=["local"])

# Filled by the runner: schedule name -> callable that fires it now and returns its result.
SCHEDULES: dict[str, object] = {}


@router.get("/metrics")
def metrics() -> dict:
    """Every counter recorded in this process."""
    return observability.snapshot()


@router.get("/schedules")
def schedules() -> list[str]:
    return sorted(SCHEDULES)


@router.post("/schedules/{name}/fire")
def fire(name: str) -> dict:
    """Fire a scheduled function now (instead of waiting for its schedule)."""
    job = SCHEDULES.get(name)
    if job is None:
        raise not_found("schedule", name=name)
    return {"function": name, "result": job()}


@router.get("/outbox")
def outbox(to: str | None = None, limit: int = 50) -> list[dict]:
    """Every email sent in local mode, newest first (optionally only those to one address)."""
    from lily.identity.email import outbox as read_outbox

    return [m.model_dump() for m in read_outbox(to, min(max(limit, 1), 500))]


# Outbound webhooks: a receiver that stores and shows what Lily delivered (lily.local.webhook_sink).
from lily.local.webhook_sink import router as _webhook_sink  # noqa: E402 - after the router it joins

router.include_router(_webhook_sink)
