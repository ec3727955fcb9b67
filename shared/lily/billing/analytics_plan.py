"""The org's analytics level, for analytics (:class:`lily.analytics.ports.AnalyticsPlan`): the plan catalog's
``analytics`` field, and its gate through the level's plan feature (PLAN_001 with ``upgrade_to``)."""

from __future__ import annotations

from lily.analytics.ports import LEVEL_FEATURES
from lily.billing.entitlements import plan_of, require


class PlanAnalytics:
    def level(self, org_id: str) -> str:
        return plan_of(org_id).analytics

    def require(self, org_id: str, level: str) -> object:
        return require(org_id, LEVEL_FEATURES[level])
