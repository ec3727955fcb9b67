"""Starting a subscription: a Stripe Checkout session for a self-serve paid plan.

Also the request helpers the other Stripe-facing use cases share: which plans and prices can be
bought, the public URLs Stripe sends the customer back to, and the client's idempotency key.
"""

from __future__ import annotations

from typing import Any

from lily.billing.customers import ensure_customer
from lily.billing.entitlements import subscription_of
from lily.billing.plans import PLANS, Interval, Plan
from lily.billing.ports import BillingPorts
from lily.billing.schemas import CheckoutView
from lily.billing.settings import billing_settings
from lily.billing.stripe_gateway import StripeGateway, stripe_gateway
from lily.billing.subscription_sync import MANAGEABLE
from lily.core import ids
from lily.core.config import get_settings
from lily.core.errors import ErrorCode, LilyError, conflict, invalid
from lily.core.observability import count, logger


def public_url(path: str) -> str:
    return get_settings().public_base_url.rstrip("/") + path


def idempotency_part(request_key: str | None) -> str:
    """The client's Idempotency-Key (bounded), or a fresh one: the tail of every Stripe idempotency key."""
    return request_key[:100] if request_key else ids.token(16)


def paid_plan(plan_id: str) -> Plan:
    plan = PLANS.get(plan_id)
    if plan is None:
        raise invalid("Unknown plan", plan_id=plan_id, plans=list(PLANS))
    if plan.is_free:
        raise invalid("The free plan needs no checkout; cancel the subscription instead", plan_id=plan_id)
    if not plan.self_serve:
        raise LilyError(ErrorCode.VALIDATION_002, "This plan is sold by our sales team", {"plan_id": plan_id})
    return plan


def price_id_of(plan: Plan, interval: str) -> str:
    price_id = billing_settings().price_id(plan.plan_id, interval)
    if plan.price(interval) is None or price_id is None:  # type: ignore[arg-type]
        raise LilyError(ErrorCode.VALIDATION_002, "This plan is not available with that billing interval",
                        {"plan_id": plan.plan_id, "interval": interval})
    return price_id


def start_checkout(ports: BillingPorts, org_id: str, plan_id: str, interval: Interval = "month", *,
                   email: str | None = None,
                   request_key: str | None = None, gateway: StripeGateway | None = None) -> CheckoutView:
    gateway = gateway or stripe_gateway()
    plan = paid_plan(plan_id)
    price_id = price_id_of(plan, interval)
    sub = subscription_of(org_id)
    if sub is not None and sub.stripe_subscription_id and sub.status in MANAGEABLE:
        raise conflict("The organization already has a subscription; change its plan instead",
                       subscription_status=sub.status, plan_id=sub.plan_id)
    customer_id = ensure_customer(org_id, email, gateway)
    # One free trial per account (the organization's owner), not per organization
    trial_days = plan.trial_days if plan.trial_days and not (sub is not None and sub.trial_used) else 0
    if trial_days and not ports.trial_claim(org_id):
        trial_days = 0
    s = billing_settings()
    subscription_data: dict[str, Any] = {"metadata": {"org_id": org_id, "plan_id": plan.plan_id}}
    if trial_days:
        subscription_data["trial_period_days"] = trial_days
    params = {
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": org_id,
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": s.billing_success_url or public_url("/billing/success?session_id={CHECKOUT_SESSION_ID}"),
        "cancel_url": s.billing_cancel_url or public_url("/billing/cancelled"),
        "metadata": {"org_id": org_id, "plan_id": plan.plan_id, "interval": interval},
        "subscription_data": subscription_data,
    }
    key = f"lily-checkout-{org_id}-{plan.plan_id}-{interval}-{idempotency_part(request_key)}"
    session = gateway.create_checkout_session(params, idempotency_key=key)
    if not session.url:
        raise LilyError(ErrorCode.EXTERNAL_002, "Stripe returned no checkout URL", {"session_id": session.id})
    logger.info("checkout started", extra={"org_id": org_id, "plan_id": plan.plan_id, "interval": interval,
                                           "session_id": session.id, "trial_days": trial_days})
    count("billing_checkouts_total", plan=plan.plan_id)
    return CheckoutView(session_id=session.id, url=session.url, expires_at=session.expires_at,
                        plan_id=plan.plan_id, interval=interval, trial_days=trial_days)
