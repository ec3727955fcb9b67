"""Billing logic: plans for clients, checkout and in-app subscription management, Stripe webhook
intake, subscription state derived from Stripe, plan transitions and the daily reaper.

State is always derived from the subscription as Stripe has it *now* (re-fetched), never from the
order events arrive in; a write only lands when its fetch is at least as recent as the stored one
(``synced_at_ms``), and a plan transition is claimed with a conditional write before the plan-change
hooks run, so each transition notifies exactly once.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from pynamodb.exceptions import DoesNotExist

from lily.billing import entitlements
from lily.billing.entitlements import QuotaUsage, effective_plan_id, subscription_of
from lily.billing.models import Customer, Subscription, WebhookEvent
from lily.billing.plans import FEATURES, PLAN_ORDER, PLANS, QUOTAS, Interval, Plan, get_plan, renewal_terms
from lily.billing.ports import notify_plan_change
from lily.billing.settings import billing_settings, stripe_keys
from lily.billing.stripe_gateway import StripeGateway, StripeSubscription, stripe_gateway
from lily.billing.webhooks import SignatureError, verify
from lily.core import clock, ids, queues
from lily.core.config import get_settings
from lily.core.db import condition_failed
from lily.core.errors import ErrorCode, LilyError, conflict, invalid, not_found
from lily.core.observability import count, logger, observe

BILLING_QUEUE = "billing_events"
MANAGEABLE = {"active", "trialing", "past_due"}  # subscriptions the app can cancel / change
ALLOWED_EVENTS = frozenset({
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_failed",
})


# ---------------------------------------------------------------- views

class PriceView(BaseModel):
    interval: Interval
    amount_cents: int
    currency: str
    display: str
    available: bool = Field(description="False when no Stripe price is configured for it")


class PlanView(BaseModel):
    plan_id: str
    name: str
    description: str
    rank: int
    prices: list[PriceView]
    trial_days: int
    terms: str = Field(description="Price, trial and renewal in plain words")
    features: list[str]
    quotas: dict[str, int]
    autopilot: str
    analytics: str
    image_models: list[str]
    image_qualities: list[str]


class CapabilityView(BaseModel):
    name: str
    kind: Literal["feature", "quota"]
    description: str
    plans: list[str] = Field(description="Plans that include the feature (or every plan, for a quota)")
    limits: dict[str, int] = Field(default_factory=dict, description="Limit per plan (quotas)")
    cheapest_plan: str | None


class SubscriptionView(BaseModel):
    org_id: str
    plan_id: str = Field(description="The plan in effect now")
    subscribed_plan_id: str | None = Field(description="The plan of the Stripe subscription, if any")
    status: str
    interval: str | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    trial_end: datetime | None = None
    grace_until: datetime | None = None
    stripe_customer_id: str | None = None
    stripe_subscription_id: str | None = None


class EntitlementsView(BaseModel):
    org_id: str
    plan_id: str
    plan_name: str
    subscription: SubscriptionView
    features: list[str]
    quotas: list[QuotaUsage]
    autopilot: str
    analytics: str
    image_models: list[str]
    image_qualities: list[str]


class CheckoutView(BaseModel):
    session_id: str
    url: str
    expires_at: datetime | None
    plan_id: str
    interval: Interval
    trial_days: int


class PortalView(BaseModel):
    url: str


class BillingHealth(BaseModel):
    status: Literal["ok", "degraded"]
    configured: bool
    reachable: bool
    api_base: str
    missing: list[str]
    latency_ms: float | None = None
    error: str | None = None


class WebhookAck(BaseModel):
    received: bool = True
    status: Literal["accepted", "duplicate", "ignored"]
    event_id: str | None = None


# ---------------------------------------------------------------- plans and entitlements

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


# ---------------------------------------------------------------- checkout, portal, in-app management

def _public(path: str) -> str:
    return get_settings().public_base_url.rstrip("/") + path


def _request_key(request_key: str | None) -> str:
    return request_key[:100] if request_key else ids.token(16)


def ensure_customer(org_id: str, email: str | None, gateway: StripeGateway) -> str:
    """The organization's one Stripe customer, created on first use."""
    try:
        return Customer.get(org_id, consistent_read=True).customer_id
    except DoesNotExist:
        pass
    # The same idempotency key for every first attempt: concurrent callers get the same customer.
    customer_id = gateway.create_customer(org_id, email, idempotency_key=f"lily-customer-{org_id}")
    try:
        Customer(org_id, customer_id=customer_id, created_at=clock.now()).save(
            condition=Customer.org_id.does_not_exist())
    except Exception as exc:
        if not condition_failed(exc):
            raise
        return Customer.get(org_id, consistent_read=True).customer_id
    return customer_id


def customer_org(customer_id: str) -> str | None:
    for row in Customer.by_customer.query(customer_id, limit=1):
        return row.org_id
    return None


def _paid_plan(plan_id: str) -> Plan:
    plan = PLANS.get(plan_id)
    if plan is None:
        raise invalid("Unknown plan", plan_id=plan_id, plans=list(PLANS))
    if plan.is_free:
        raise invalid("The free plan needs no checkout; cancel the subscription instead", plan_id=plan_id)
    if not plan.self_serve:
        raise LilyError(ErrorCode.VALIDATION_002, "This plan is sold by our sales team", {"plan_id": plan_id})
    return plan


def _price(plan: Plan, interval: str) -> str:
    price_id = billing_settings().price_id(plan.plan_id, interval)
    if plan.price(interval) is None or price_id is None:  # type: ignore[arg-type]
        raise LilyError(ErrorCode.VALIDATION_002, "This plan is not available with that billing interval",
                        {"plan_id": plan.plan_id, "interval": interval})
    return price_id


def start_checkout(org_id: str, plan_id: str, interval: Interval = "month", *, email: str | None = None,
                   request_key: str | None = None, gateway: StripeGateway | None = None) -> CheckoutView:
    gateway = gateway or stripe_gateway()
    plan = _paid_plan(plan_id)
    price_id = _price(plan, interval)
    sub = subscription_of(org_id)
    if sub is not None and sub.stripe_subscription_id and sub.status in MANAGEABLE:
        raise conflict("The organization already has a subscription; change its plan instead",
                       subscription_status=sub.status, plan_id=sub.plan_id)
    customer_id = ensure_customer(org_id, email, gateway)
    trial_days = plan.trial_days if plan.trial_days and not (sub is not None and sub.trial_used) else 0
    s = billing_settings()
    subscription_data: dict[str, Any] = {"metadata": {"org_id": org_id, "plan_id": plan.plan_id}}
    if trial_days:
        subscription_data["trial_period_days"] = trial_days
    params = {
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": org_id,
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": s.billing_success_url or _public("/billing/success?session_id={CHECKOUT_SESSION_ID}"),
        "cancel_url": s.billing_cancel_url or _public("/billing/cancelled"),
        "metadata": {"org_id": org_id, "plan_id": plan.plan_id, "interval": interval},
        "subscription_data": subscription_data,
    }
    key = f"lily-checkout-{org_id}-{plan.plan_id}-{interval}-{_request_key(request_key)}"
    session = gateway.create_checkout_session(params, idempotency_key=key)
    if not session.url:
        raise LilyError(ErrorCode.EXTERNAL_002, "Stripe returned no checkout URL", {"session_id": session.id})
    logger.info("checkout started", extra={"org_id": org_id, "plan_id": plan.plan_id, "interval": interval,
                                           "session_id": session.id, "trial_days": trial_days})
    count("billing_checkouts_total", plan=plan.plan_id)
    return CheckoutView(session_id=session.id, url=session.url, expires_at=session.expires_at,
                        plan_id=plan.plan_id, interval=interval, trial_days=trial_days)


def portal(org_id: str, *, request_key: str | None = None, gateway: StripeGateway | None = None) -> PortalView:
    gateway = gateway or stripe_gateway()
    try:
        customer_id = Customer.get(org_id, consistent_read=True).customer_id
    except DoesNotExist:
        raise conflict("The organization has no billing account yet; start a checkout first") from None
    return_url = billing_settings().billing_portal_return_url or _public("/billing")
    url = gateway.create_portal_session(customer_id, return_url,
                                        idempotency_key=f"lily-portal-{org_id}-{_request_key(request_key)}")
    return PortalView(url=url)


def _managed(org_id: str) -> Subscription:
    sub = subscription_of(org_id)
    if sub is None or not sub.stripe_subscription_id or sub.status not in MANAGEABLE:
        raise conflict("The organization has no active subscription", status=sub.status if sub else "none")
    return sub


def cancel(org_id: str, *, request_key: str | None = None, gateway: StripeGateway | None = None) -> SubscriptionView:
    """Cancel at the end of the paid period (the plan stays until then; nothing more is charged)."""
    gateway = gateway or stripe_gateway()
    sub = _managed(org_id)
    snap = gateway.update_subscription(sub.stripe_subscription_id, {"cancel_at_period_end": True},
                                       idempotency_key=f"lily-cancel-{org_id}-{_request_key(request_key)}")
    logger.info("subscription set to cancel", extra={"org_id": org_id, "subscription_id": snap.id})
    return subscription_view(org_id, sync_subscription(org_id, snap))


def resume(org_id: str, *, request_key: str | None = None, gateway: StripeGateway | None = None) -> SubscriptionView:
    """Undo a pending cancellation (before the period ends)."""
    gateway = gateway or stripe_gateway()
    sub = _managed(org_id)
    if not sub.cancel_at_period_end:
        raise conflict("The subscription is not set to cancel")
    snap = gateway.update_subscription(sub.stripe_subscription_id, {"cancel_at_period_end": False},
                                       idempotency_key=f"lily-resume-{org_id}-{_request_key(request_key)}")
    return subscription_view(org_id, sync_subscription(org_id, snap))


def change_plan(org_id: str, plan_id: str, interval: Interval | None = None, *, request_key: str | None = None,
                gateway: StripeGateway | None = None) -> SubscriptionView:
    """Move the subscription to another paid plan, prorated (Stripe's ``create_prorations``)."""
    gateway = gateway or stripe_gateway()
    plan = _paid_plan(plan_id)
    sub = _managed(org_id)
    interval = interval or sub.interval or "month"  # type: ignore[assignment]
    price_id = _price(plan, interval)
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
                                                       f"{_request_key(request_key)}")
    logger.info("plan changed", extra={"org_id": org_id, "from": sub.plan_id, "to": plan.plan_id})
    return subscription_view(org_id, sync_subscription(org_id, snap))


# ---------------------------------------------------------------- subscription state

def sync_subscription(org_id: str, snap: StripeSubscription) -> Subscription:
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
        apply_plan(org_id)
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
    try:
        item.update(actions=actions, condition=Subscription.synced_at_ms.does_not_exist()
                    | (Subscription.synced_at_ms <= now_ms))
    except Exception as exc:
        if not condition_failed(exc):
            raise
        logger.info("a newer subscription state is already stored", extra={"org_id": org_id})
    apply_plan(org_id)
    return subscription_of(org_id) or item


def apply_plan(org_id: str) -> tuple[str, str] | None:
    """Claim the transition from the applied plan to the effective one and notify the hooks once.

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
    try:
        sub.update(actions=[Subscription.applied_plan_id.set(new), Subscription.updated_at.set(clock.now())],
                   condition=condition)
    except Exception as exc:
        if condition_failed(exc):
            return None
        raise
    direction = "upgrade" if get_plan(new).rank > get_plan(old).rank else "downgrade"
    count("plan_changes_total", direction=direction, plan=new)
    logger.info("plan applied", extra={"org_id": org_id, "old_plan": old, "new_plan": new, "direction": direction,
                                       "status": sub.status})
    notify_plan_change(org_id, get_plan(old), get_plan(new))
    return old, new


# ---------------------------------------------------------------- webhooks

def _subscription_ref(obj: dict[str, Any]) -> str | None:
    if obj.get("object") == "subscription":
        return obj.get("id")
    ref = obj.get("subscription")
    if not ref:  # current API versions: invoice.parent.subscription_details.subscription
        ref = (((obj.get("parent") or {}).get("subscription_details")) or {}).get("subscription")
    if isinstance(ref, dict):
        ref = ref.get("id")
    return ref


def _org_hint(obj: dict[str, Any]) -> str | None:
    meta = obj.get("metadata") or {}
    details = ((obj.get("parent") or {}).get("subscription_details")) or {}
    return meta.get("org_id") or obj.get("client_reference_id") or (details.get("metadata") or {}).get("org_id")


def accept_webhook(raw: bytes, signature: str | None) -> WebhookAck:
    """Verify, de-duplicate and enqueue one Stripe event; answers fast, the worker does the rest."""
    try:
        verify(raw, signature, stripe_keys()["webhook_secret"], billing_settings().stripe_webhook_tolerance_s)
    except SignatureError as exc:
        count("webhook_signature_failures_total", platform="stripe")
        count("stripe_webhooks_total", event_type="unknown", status="bad_signature")
        logger.warning("stripe webhook signature rejected", extra={"reason": exc.reason})
        raise LilyError(ErrorCode.WEBHOOK_001, details={"reason": exc.reason}) from None
    try:
        event = json.loads(raw)
        event_id, event_type = str(event["id"]), str(event["type"])
        obj = event["data"]["object"]
    except (ValueError, KeyError, TypeError):
        raise invalid("Malformed Stripe event") from None
    if event_type not in ALLOWED_EVENTS:
        count("stripe_webhooks_total", event_type=event_type, status="ignored")
        return WebhookAck(status="ignored", event_id=event_id)
    now = clock.now()
    record = WebhookEvent(event_id, event_type=event_type, received_at=now,
                          expires_at=now + timedelta(days=billing_settings().billing_webhook_event_ttl_days))
    try:
        record.save(condition=WebhookEvent.event_id.does_not_exist())
    except Exception as exc:
        if not condition_failed(exc):
            raise
        count("stripe_webhooks_total", event_type=event_type, status="duplicate")
        logger.info("duplicate stripe event ignored", extra={"event_id": event_id, "event_type": event_type})
        return WebhookAck(status="duplicate", event_id=event_id)
    message = {
        "event_id": event_id, "event_type": event_type, "created": event.get("created"),
        "subscription_id": _subscription_ref(obj), "customer_id": obj.get("customer") if isinstance(
            obj.get("customer"), str) else None, "org_id": _org_hint(obj), "received_at": clock.iso(now),
    }
    try:
        queues.send(BILLING_QUEUE, message)
    except Exception:
        record.delete()  # let Stripe's retry deliver it again
        raise
    count("stripe_webhooks_total", event_type=event_type, status="accepted")
    logger.info("stripe event accepted", extra={"event_id": event_id, "event_type": event_type})
    return WebhookAck(status="accepted", event_id=event_id)


class BillingMessage(BaseModel):
    event_id: str
    event_type: str
    subscription_id: str | None = None
    customer_id: str | None = None
    org_id: str | None = None
    created: int | None = None


def process_event(raw: dict[str, Any], gateway: StripeGateway | None = None) -> str:
    """Worker: re-fetch the event's subscription and derive the organization's state from it."""
    started = time.perf_counter()
    msg = BillingMessage.model_validate(raw)
    outcome = _process(msg, gateway or stripe_gateway())
    count("stripe_webhooks_total", event_type=msg.event_type, status=outcome)
    observe("stripe_webhook_processing_seconds", time.perf_counter() - started, event_type=msg.event_type)
    return outcome


def _process(msg: BillingMessage, gateway: StripeGateway) -> str:
    if not msg.subscription_id:
        logger.info("stripe event without a subscription", extra={"event_id": msg.event_id})
        return "skipped"
    try:
        snap = gateway.retrieve_subscription(msg.subscription_id)
    except LilyError as exc:
        if exc.code == ErrorCode.VALIDATION_004:
            logger.warning("subscription of the event no longer exists", extra={"event_id": msg.event_id})
            return "skipped"
        raise
    org_id = snap.metadata.get("org_id") or msg.org_id or customer_org(snap.customer)
    if not org_id:
        logger.error("stripe subscription matches no organization",
                     extra={"event_id": msg.event_id, "subscription_id": snap.id})
        return "unmatched"
    if msg.event_type == "customer.subscription.trial_will_end":
        logger.info("trial ends soon", extra={"org_id": org_id, "trial_end": clock.iso(snap.trial_end)
                                              if snap.trial_end else None})
    sync_subscription(org_id, snap)
    return "processed"


# ---------------------------------------------------------------- reaper and health

class ReapResult(BaseModel):
    scanned: int = 0
    resynced: int = 0
    downgraded: int = 0
    upgraded: int = 0
    errors: int = 0


def reap(gateway: StripeGateway | None = None, resync_after: timedelta = timedelta(days=1)) -> ReapResult:
    """Daily: re-fetch subscriptions whose period ended long ago (a missed webhook), then apply
    every organization's effective plan: ended subscriptions go to free, and the plan-change hooks
    pause what exceeds the new limits (nothing is deleted). Maintenance job: Scan is fine here."""
    result = ReapResult()
    now = clock.now()
    for sub in Subscription.scan(Subscription.applied_plan_id != "free"):
        result.scanned += 1
        try:
            stale = (sub.stripe_subscription_id and sub.current_period_end is not None
                     and sub.current_period_end + resync_after < now and sub.status in MANAGEABLE)
            if stale:
                try:
                    sync_subscription(sub.org_id, (gateway or stripe_gateway()).retrieve_subscription(
                        sub.stripe_subscription_id))
                    result.resynced += 1
                except LilyError as exc:  # Stripe down: still apply what we know
                    logger.warning("reaper could not re-fetch", extra={"org_id": sub.org_id, "code": exc.code.value})
            changed = apply_plan(sub.org_id)
            if changed:
                if get_plan(changed[1]).rank < get_plan(changed[0]).rank:
                    result.downgraded += 1
                else:
                    result.upgraded += 1
        except Exception:  # noqa: BLE001 - one organization's failure must not stop the sweep
            result.errors += 1
            logger.exception("reaper failed for an organization", extra={"org_id": sub.org_id})
    logger.info("subscription reaper done", extra=result.model_dump())
    return result


def health(gateway: StripeGateway | None = None) -> BillingHealth:
    s = billing_settings()
    missing: list[str] = []
    try:
        keys = stripe_keys()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        keys = {}
        missing.append(f"secret {s.stripe_secret} ({type(exc).__name__})")
    if not keys.get("api_key"):
        missing.append("stripe api_key")
    if not keys.get("webhook_secret"):
        missing.append("stripe webhook_secret")
    for plan in PLAN_ORDER:
        for price in plan.prices:
            if plan.self_serve and s.price_id(plan.plan_id, price.interval) is None:
                missing.append(f"LILY_STRIPE_PRICES[{plan.plan_id}:{price.interval}]")
    reachable, latency, error = False, None, None
    if keys.get("api_key"):
        started = time.perf_counter()
        try:
            (gateway or stripe_gateway()).ping()
            reachable = True
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            error = type(exc).__name__
        latency = round((time.perf_counter() - started) * 1000, 2)
    configured = not missing
    return BillingHealth(status="ok" if configured and reachable else "degraded", configured=configured,
                         reachable=reachable, api_base=s.stripe_api_base, missing=missing, latency_ms=latency,
                         error=error)
