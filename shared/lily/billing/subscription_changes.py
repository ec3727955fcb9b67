"""In-app subscription management: cancel at period end, resume a pending cancellation, change plan.

Each change goes to Stripe first; the answer Stripe gives is stored through :mod:`subscription_sync`.
"""

from __future__ import annotations

from lily.billing.checkout import idempotency_part, paid_plan, price_id_of
from lily.billing.entitlements import subscription_of
from lily.billing.models import Subscription
from lily.billing.plans import Interval
from lily.billing.ports import BillingPorts
from lily.billing.schemas import SubscriptionView
from lily.billing.stripe_gateway import StripeGateway, stripe_gateway
from lily.billing.subscription_sync import MANAGEABLE, sync_subscription
from lily.billing.views import subscription_view
from lily.core.errors import ErrorCode, LilyError, conflict
from lily.core.observability import logger


def _managed(org_id: str) -> Subscription:
    sub = subscription_of(org_id)
    if sub is None or not sub.stripe_subscription_id or sub.status not in MANAGEABLE:
        raise conflict("The organization has no active subscription", status=sub.status if sub else "none")
    return sub


def cancel(ports: BillingPorts, org_id: str, *, request_key: str | None = None,
           gateway: StripeGateway | None = None) -> SubscriptionView:
    """Cancel at the end of the paid period (the plan stays until then; nothing more is charged)."""
    gateway = gateway or stripe_gateway()
    sub = _managed(org_id)
    snap = gateway.update_subscription(sub.stripe_subscription_id, {"cancel_at_period_end": True},
                                       idempotency_key=f"lily-cancel-{org_id}-{idempotency_part(request_key)}")
    logger.info("subscription set to cancel", extra={"org_id": org_id, "subscription_id": snap.id})
    return subscription_view(org_id, sync_subscription(ports, org_id, snap))


def resume(ports: BillingPorts, org_id: str, *, request_key: str | None = None,
           gateway: StripeGateway | None = None) -> SubscriptionView:
    """Undo a pending cancellation (before the period ends)."""
    gateway = gateway or stripe_gateway()
    sub = _managed(org_id)
    if not sub.cancel_at_period_end:
        raise conflict("The subscription is not set to cancel")
    snap = gateway.update_subscription(sub.stripe_subscription_id, {"cancel_at_period_end": False},
                                       idempotency_key=f"lily-resume-{org_id}-{idempotency_part(request_key)}")
    return subscription_view(org_id, sync_subscription(ports, org_id, snap))


def change_plan(ports: BillingPorts, org_id: str, plan_id: str, interval: Interval | None = None, *,
                request_key: str | None = None,
                gateway: StripeGateway | None = None) -> SubscriptionView:
    """Move the subscription to another paid plan, prorated (Stripe's ``create_prorations``)."""
    gateway = gateway or stripe_gateway()
    plan = paid_plan(plan_id)
    sub = _managed(org_id)
    interval = interval or sub.interval or "month"  # type: ignore[assignment]
    price_id = price_id_of(plan, interval)
    current = gateway.retrieve_subscription(sub.stripe_subscription_id)
    if current.price_id == price_id:
        raise conflict("The subscription is already on this plan", plan_id=plan_id, interval=interval)
    if not current.item_id:
        raise LilyError(ErrorCode.EXTERNAL_002, "The subscription has no item to change", {"subscription": current.id})
    params = {
        # Naming the existing item replaces its price (omitting the id would add a second item).
        "items": [{"id": current.item_id, "price": price_id, "quantity": 1}],
        "proration_behavior": "create_prorations",
        "metadata": {"org_id": org_id, "plan_id": plan.plan_id},
    }
    snap = gateway.update_subscription(current.id, params,
                                       idempotency_key=f"lily-change-{org_id}-{plan.plan_id}-{interval}-"
                                                       f"{idempotency_part(request_key)}")
    logger.info("plan changed", extra={"org_id": org_id, "from": sub.plan_id, "to": plan.plan_id})
    return subscription_view(org_id, sync_subscription(ports, org_id, snap))
