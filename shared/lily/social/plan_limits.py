"""Plan changes seen from social accounts: a ``billing.ports.PlanChangeListener`` (wired in
:mod:`lily.composition`) that pauses connections over a lower plan's limit and resumes them on an upgrade."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lily.core import clock
from lily.core.observability import count
from lily.social.models import SocialConnection
from lily.social.ports import PROFILES_QUOTA

if TYPE_CHECKING:
    from lily.billing.plans import Plan


def pause_over_limit(org_id: str, old_plan: Plan, new_plan: Plan) -> None:
    """Downgrade: pause (never delete) the newest connections over the new limit. Upgrade: resume the oldest."""
    limit = new_plan.limit(PROFILES_QUOTA)
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
