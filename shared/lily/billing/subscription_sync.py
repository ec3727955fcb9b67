"""Subscription state derived from Stripe, and the plan transitions it causes.

State is always derived from the subscription as Stripe has it *now* (re-fetched), never from the
order events arrive in; a write only lands when its fetch is at least as recent as the stored one
(``synced_at_ms``), and a plan transition is claimed with a conditional write before the plan-change
listeners (:class:`lily.billing.ports.PlanChangeListener`, in the :class:`lily.billing.ports.BillingPorts` the
caller passes) run, so each transition notifies exactly once.
"""

from __future__ import annotations

from datetime import timedelta

from lily.billing.entitlements import effective_plan_id, subscription_of
from lily.billing.models import Subscription
from lily.billing.plans import Plan, get_plan
from lily.billing.ports import BillingPorts
from lily.billing.settings import billing_settings
from lily.billing.stripe_gateway import StripeSubscription
from lily.core import clock, events
from lily.core.db import won
from lily.core.observability import count, logger

MANAGEABLE = {"active", "trialing", "past_due"}  # subscriptions the app can cancel / change


def sync_subscription(ports: BillingPorts, org_id: str, snap: StripeSubscription) -> Subscription:
    """Store the subscription as Stripe has it now, then apply the resulting plan.

    Never lets an older fetch overwrite a newer one, nor a stale, ended subscription replace the
    organization's live one.
    """
    now = clock.now()
    now_ms = int(clock.now_ts() * 1000)
    s = billing_settings()
    mapped = s.plan_for_price(snap.price_id) if snap.price_id else None
    if mapped:
        plan_id, interval = mapped
    else:
        plan_id, interval = snap.metadata.get("plan_id", "free"), None
        logger.warning("subscription price not in the configured catalog",
                       extra={"org_id": org_id, "price_id": snap.price_id, "fallback_plan": plan_id})
    plan_id = get_plan(plan_id).plan_id
    existing = subscription_of(org_id)
    if (existing is not None and existing.stripe_subscription_id and existing.stripe_subscription_id != snap.id
            and existing.status in MANAGEABLE and snap.status not in MANAGEABLE):
        logger.info("ignoring an ended subscription that is not the organization's current one",
                    extra={"org_id": org_id, "subscription_id": snap.id, "current": existing.stripe_subscription_id})
        apply_plan(ports, org_id)
        return existing
    past_due_since = grace_until = None
    if snap.status == "past_due":
        same = existing is not None and existing.stripe_subscription_id == snap.id and existing.status == "past_due"
        past_due_since = existing.past_due_since if same and existing.past_due_since else now
        grace_until = past_due_since + timedelta(days=s.billing_grace_days)
    item = Subscription(org_id)
    actions = [
        Subscription.plan_id.set(plan_id),
        Subscription.status.set(snap.status),
        Subscription.stripe_customer_id.set(snap.customer),
        Subscription.stripe_subscription_id.set(snap.id),
        Subscription.cancel_at_period_end.set(snap.cancel_at_period_end),
        Subscription.synced_at_ms.set(now_ms),
        Subscription.updated_at.set(now),
    ]
    optional = [
        (Subscription.interval, interval), (Subscription.stripe_price_id, snap.price_id),
        (Subscription.stripe_item_id, snap.item_id), (Subscription.current_period_end, snap.current_period_end),
        (Subscription.trial_end, snap.trial_end), (Subscription.past_due_since, past_due_since),
        (Subscription.grace_until, grace_until), (Subscription.ended_at, snap.ended_at),
    ]
    for attr, value in optional:
        actions.append(attr.set(value) if value is not None else attr.remove())
    if snap.trial_end is not None:
        actions.append(Subscription.trial_used.set(True))
    newer = Subscription.synced_at_ms.does_not_exist() | (Subscription.synced_at_ms <= now_ms)
    if not won(lambda: item.update(actions=actions, condition=newer)):
        logger.info("a newer subscription state is already stored", extra={"org_id": org_id})
    apply_plan(ports, org_id)
    return subscription_of(org_id) or item


def apply_plan(ports: BillingPorts, org_id: str) -> tuple[str, str] | None:
    """Claim the transition from the applied plan to the effective one and notify the listeners once.

    Returns (old, new) when this call made the transition, None otherwise.
    """
    sub = subscription_of(org_id)
    if sub is None:
        return None
    new = effective_plan_id(sub)
    old = sub.applied_plan_id or "free"
    if new == old:
        return None
    condition = Subscription.applied_plan_id == old
    if old == "free":
        condition = condition | Subscription.applied_plan_id.does_not_exist()
    claim = [Subscription.applied_plan_id.set(new), Subscription.updated_at.set(clock.now())]
    if not won(lambda: sub.update(actions=claim, condition=condition)):
        return None  # another worker claimed this transition and notifies
    direction = "upgrade" if get_plan(new).rank > get_plan(old).rank else "downgrade"
    count("plan_changes_total", direction=direction, plan=new)
    logger.info("plan applied", extra={"org_id": org_id, "old_plan": old, "new_plan": new, "direction": direction,
                                       "status": sub.status})
    notify_plan_change(ports, org_id, get_plan(old), get_plan(new))
    events.emit("subscription.changed", org_id, {"old_plan": old, "new_plan": new, "direction": direction,
                                                 "status": sub.status})
    return old, new


def notify_plan_change(ports: BillingPorts, org_id: str, old: Plan, new: Plan) -> int:
    """Run every plan change listener of ``ports``; returns how many failed (each logged and counted)."""
    failures = 0
    for listener in ports.plan_change_listeners:
        name = getattr(listener, "__name__", type(listener).__name__)
        try:
            listener(org_id, old, new)
        except Exception:  # noqa: BLE001 - boundary: one capability's failure must not block the others
            failures += 1
            count("plan_change_hook_failures_total", hook=name)
            logger.exception("plan change listener failed", extra={
                "org_id": org_id, "old_plan": old.plan_id, "new_plan": new.plan_id, "hook": name})
    return failures
