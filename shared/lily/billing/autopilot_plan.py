"""Billing's implementation of autopilot's :class:`lily.autopilot.ports.PlanLevels`: the org's plan and its
autopilot level (PRODUCT.md: none, basic, enhanced, full), and the cheapest plan that reaches a level."""

from __future__ import annotations

from lily.billing.entitlements import plan_of
from lily.billing.plans import PLAN_ORDER

ORDER = ("none", "basic", "enhanced", "full")


class PlanAutopilot:
    def level(self, org_id: str) -> tuple[str, str]:
        plan = plan_of(org_id)
        return plan.plan_id, plan.autopilot

    def upgrade_for(self, level: str) -> str | None:
        want = ORDER.index(level)
        return next((p.plan_id for p in PLAN_ORDER if ORDER.index(p.autopilot) >= want), None)
