"""What clients read: the plans on offer, which plans include a capability, an organization's
subscription and its entitlements (features, limits and usage)."""

from __future__ import annotations

from lily.billing import entitlements
from lily.billing.entitlements import effective_plan_id, subscription_of
from lily.billing.models import Subscription
from lily.billing.plans import FEATURES, PLAN_ORDER, QUOTAS, Plan, get_plan, renewal_terms
from lily.billing.schemas import CapabilityView, EntitlementsView, PlanView, PriceView, SubscriptionView
from lily.billing.settings import billing_settings
from lily.core.errors import not_found


def _display(amount_cents: int, interval: str) -> str:
    return f"${amount_cents / 100:,.2f}".replace(".00", "") + f"/{interval}"


def plan_view(plan: Plan) -> PlanView:
    s = billing_settings()
    return PlanView(
        plan_id=plan.plan_id, name=plan.name, description=plan.description, rank=plan.rank,
        prices=[PriceView(interval=p.interval, amount_cents=p.amount_cents, currency=p.currency,
                          display=_display(p.amount_cents, p.interval),
                          available=s.price_id(plan.plan_id, p.interval) is not None) for p in plan.prices],
        trial_days=plan.trial_days, terms=renewal_terms(plan), features=sorted(plan.features),
        quotas=dict(plan.quotas), autopilot=plan.autopilot, analytics=plan.analytics,
        image_models=plan.image_models, image_qualities=plan.image_qualities,
    )


def list_plans() -> list[PlanView]:
    return [plan_view(p) for p in PLAN_ORDER]


def capability(name: str) -> CapabilityView:
    if name in FEATURES:
        plans = [p.plan_id for p in PLAN_ORDER if p.has(name)]
        return CapabilityView(name=name, kind="feature", description=FEATURES[name], plans=plans,
                              cheapest_plan=plans[0] if plans else None)
    if name in QUOTAS:
        return CapabilityView(name=name, kind="quota", description=QUOTAS[name].description,
                              plans=[p.plan_id for p in PLAN_ORDER],
                              limits={p.plan_id: p.limit(name) for p in PLAN_ORDER},
                              cheapest_plan=PLAN_ORDER[0].plan_id)
    raise not_found("capability", name=name, known=sorted([*FEATURES, *QUOTAS]))


def subscription_view(org_id: str, sub: Subscription | None = None) -> SubscriptionView:
    sub = sub if sub is not None else subscription_of(org_id)
    if sub is None:
        return SubscriptionView(org_id=org_id, plan_id="free", subscribed_plan_id=None, status="none")
    return SubscriptionView(
        org_id=org_id, plan_id=effective_plan_id(sub), subscribed_plan_id=sub.plan_id if sub.stripe_subscription_id
        else None, status=sub.status, interval=sub.interval, current_period_end=sub.current_period_end,
        cancel_at_period_end=bool(sub.cancel_at_period_end), trial_end=sub.trial_end, grace_until=sub.grace_until,
        stripe_customer_id=sub.stripe_customer_id, stripe_subscription_id=sub.stripe_subscription_id,
    )


def entitlements_of(org_id: str) -> EntitlementsView:
    sub = subscription_of(org_id)
    plan = get_plan(effective_plan_id(sub))
    return EntitlementsView(
        org_id=org_id, plan_id=plan.plan_id, plan_name=plan.name, subscription=subscription_view(org_id, sub),
        features=sorted(plan.features), quotas=entitlements.usage(org_id, plan), autopilot=plan.autopilot,
        analytics=plan.analytics, image_models=plan.image_models, image_qualities=plan.image_qualities,
    )
