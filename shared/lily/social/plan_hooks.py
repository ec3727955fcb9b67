"""Plan-change hook of social accounts (loaded by the billing worker and the reaper, see lily.billing.ports)."""

from __future__ import annotations

from lily.billing.plans import Plan
from lily.billing.ports import on_plan_change
from lily.core import clock
from lily.core.observability import count
from lily.social.models import SocialConnection

QUOTA = "social_profiles"


@on_plan_change
def pause_over_limit(org_id: str, old_plan: Plan, new_plan: Plan) -> None:
    """Downgrade: pause (never delete) the newest connections over the new limit. Upgrade: resume the oldest."""
    limit = new_plan.limit(QUOTA)
    conns = sorted(SocialConnection.query(org_id), key=lambda c: c.created_at)
    for i, conn in enumerate(conns):
        if i >= limit and conn.status != "paused":
            conn.update(
                actions=[
                    SocialConnection.status.set("paused"),
                    SocialConnection.status_reason.set(f"plan_limit:{new_plan.plan_id}"),
                    SocialConnection.updated_at.set(clock.now()),
                ]
            )
            count("social_connections_paused_total", plan=new_plan.plan_id)
        elif i < limit and conn.status == "paused" and (conn.status_reason or "").startswith("plan_limit:"):
            conn.update(
                actions=[
                    SocialConnection.status.set("active"),
                    SocialConnection.status_reason.remove(),
                    SocialConnection.updated_at.set(clock.now()),
                ]
            )
