"""Billing helpers for tests: put an organization on a plan without going through Stripe."""

from __future__ import annotations


def set_plan(org_id: str, plan_id: str) -> None:
    """Give ``org_id`` an active subscription to ``plan_id`` (what the billing worker stores after checkout)."""
    from lily.billing.models import Subscription

    Subscription(org_id, plan_id=plan_id, applied_plan_id=plan_id, status="active").save()


def ensure_plan_allows(org_id: str, quota: str, needed: int = 1) -> None:
    """Upgrade ``org_id`` to the cheapest plan with ``needed`` more of ``quota`` (tests that need members or keys)."""
    from lily.billing import entitlements
    from lily.billing.plans import PLAN_ORDER

    used = {u.quota: u.used for u in entitlements.usage(org_id)}.get(quota, 0)
    current = entitlements.plan_of(org_id)
    if current.limit(quota) >= used + needed:
        return
    for plan in PLAN_ORDER:
        if plan.limit(quota) >= used + needed:
            set_plan(org_id, plan.plan_id)
            return
    raise AssertionError(f"no plan allows {used + needed} {quota}")
