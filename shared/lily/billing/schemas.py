"""The billing API's response models (what the ``billing`` and ``stripe_webhook`` functions answer)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from lily.billing.plans import Interval
from lily.billing.quota_usage import QuotaUsage as QuotaUsage  # its own module: workers import it alone

PlanId = Literal["free", "starter", "pro", "enterprise"]  # the keys of lily.billing.plans.PLANS (a test pins it)


class PriceView(BaseModel):
    interval: Interval
    amount_cents: int
    currency: str
    display: str
    available: bool = Field(description="False when no Stripe price is configured for it")


class PlanView(BaseModel):
    plan_id: PlanId
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
    plan_id: PlanId = Field(description="The plan in effect now")
    subscribed_plan_id: PlanId | None = Field(description="The plan of the Stripe subscription, if any")
    status: str
    interval: Interval | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    trial_end: datetime | None = None
    grace_until: datetime | None = None
    stripe_customer_id: str | None = None
    stripe_subscription_id: str | None = None


class EntitlementsView(BaseModel):
    org_id: str
    plan_id: PlanId
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
    plan_id: PlanId
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


# --- Request and answer models of functions/billing ---


class CheckoutRequest(BaseModel):
    plan_id: PlanId
    interval: Interval = "month"


class ChangePlanRequest(BaseModel):
    plan_id: PlanId
    interval: Interval | None = None
