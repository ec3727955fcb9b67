"""The one plan catalog: PRODUCT.md's plan matrix held as data.

Everything a plan allows is named here and nowhere else:

- **features** are flags (``advanced_scheduling``, ``image_model:gpt_image_1``, ...): an
  organization either has them or not (:func:`lily.billing.entitlements.require`);
- **quotas** are numeric limits (:data:`QUOTAS`): *period* quotas count per UTC day or month and
  reset at the boundary; *gauge* quotas (``social_profiles``, ``team_seats``) count things that
  exist, go up on add and down on remove, and never reset.

Prices are amounts in the catalog; the Stripe price ids come from configuration
(:class:`lily.billing.settings.BillingSettings`), never from code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, NamedTuple

Interval = Literal["month", "year"]
INTERVALS: tuple[Interval, ...] = ("month", "year")


class QuotaKind(StrEnum):
    day = "day"  # resets at 00:00 UTC
    month = "month"  # resets on the 1st, 00:00 UTC
    gauge = "gauge"  # counts existing things; never resets


class QuotaSpec(NamedTuple):
    name: str
    kind: QuotaKind
    description: str


QUOTAS: dict[str, QuotaSpec] = {
    q.name: q
    for q in (
        QuotaSpec(name="social_profiles", kind=QuotaKind.gauge, description="Connected social profiles"),
        QuotaSpec(name="posts_per_day", kind=QuotaKind.day, description="Posts scheduled per UTC day"),
        QuotaSpec(name="image_generations", kind=QuotaKind.month, description="Image generations per UTC month"),
        QuotaSpec(name="ai_text_requests", kind=QuotaKind.day, description="AI text requests per UTC day"),
        QuotaSpec(name="team_seats", kind=QuotaKind.gauge, description="Members of the organization"),
        QuotaSpec(name="media_storage_bytes", kind=QuotaKind.gauge, description="Media stored (bytes)"),
    )
}


class F(StrEnum):
    """Feature flags. Image models and qualities are flags too (``image_model:<id>``, ``image_quality:<q>``)."""

    image_model_grok2_basic = "image_model:grok2_basic"
    image_model_grok2_premium = "image_model:grok2_premium"
    image_model_gpt_image_1 = "image_model:gpt_image_1"
    image_model_custom = "image_model:custom"  # enterprise: a per-organization allow list
    image_quality_draft = "image_quality:draft"
    image_quality_standard = "image_quality:standard"
    image_quality_premium = "image_quality:premium"
    image_quality_story = "image_quality:story"
    image_quality_banner = "image_quality:banner"
    autopilot_basic = "autopilot_basic"  # drafts for approval
    autopilot_enhanced = "autopilot_enhanced"  # schedules within quota
    autopilot_full = "autopilot_full"  # + campaigns
    advanced_scheduling = "advanced_scheduling"  # queues, recurring, evergreen, feeds, bulk import, short links
    autopilot_research = "autopilot_research"
    predictive_analytics = "predictive_analytics"
    analytics_basic = "analytics_basic"
    analytics_standard = "analytics_standard"
    analytics_advanced = "analytics_advanced"
    analytics_predictive = "analytics_predictive"
    api_keys = "api_keys"
    outbound_webhooks = "outbound_webhooks"


FEATURES: dict[str, str] = {
    F.image_model_grok2_basic: "Image model grok2_basic",
    F.image_model_grok2_premium: "Image model grok2_premium",
    F.image_model_gpt_image_1: "Image model gpt_image_1",
    F.image_model_custom: "Custom image models (per-organization allow list)",
    F.image_quality_draft: "Draft image quality",
    F.image_quality_standard: "Standard image quality",
    F.image_quality_premium: "Premium image quality",
    F.image_quality_story: "Story image format",
    F.image_quality_banner: "Banner image format",
    F.autopilot_basic: "Autopilot: drafts for approval",
    F.autopilot_enhanced: "Autopilot: schedules within quota",
    F.autopilot_full: "Autopilot: full, with campaigns",
    F.advanced_scheduling: "Advanced scheduling (queues, recurring, evergreen, feeds, bulk import, short links)",
    F.autopilot_research: "Autopilot research",
    F.predictive_analytics: "Predictive analytics",
    F.analytics_basic: "Basic analytics",
    F.analytics_standard: "Standard analytics",
    F.analytics_advanced: "Advanced analytics",
    F.analytics_predictive: "Predictive analytics dashboards",
    F.api_keys: "API keys",
    F.outbound_webhooks: "Outbound webhooks",
}

# Image model ids a plan allows (product ids; the provider model behind each is configuration).
IMAGE_MODELS = ("grok2_basic", "grok2_premium", "gpt_image_1")
IMAGE_QUALITIES = ("draft", "standard", "premium", "story", "banner")


class Price(NamedTuple):
    interval: Interval
    amount_cents: int  # >= 0
    currency: str = "usd"


class Plan(NamedTuple):
    """One plan of the catalog: code, checked whole by ``tests/unit/billing/test_plans.py`` (ranks, prices,
    quotas, features), so it is plain immutable data rather than a model validated at every cold start."""

    plan_id: str
    name: str
    rank: int  # order from cheapest (0) to most expensive
    description: str
    features: frozenset[str]
    quotas: dict[str, int]
    autopilot: Literal["none", "basic", "enhanced", "full"]
    analytics: Literal["basic", "standard", "advanced", "predictive"]
    prices: tuple[Price, ...] = ()  # empty for the free plan
    trial_days: int = 0  # free trial on first subscription (0: none)
    self_serve: bool = True  # False: sold by sales (no self-serve checkout)

    @property
    def is_free(self) -> bool:
        return not self.prices

    def has(self, feature: str) -> bool:
        return feature in self.features

    def limit(self, quota: str) -> int:
        return self.quotas[quota]

    def price(self, interval: Interval) -> Price | None:
        return next((p for p in self.prices if p.interval == interval), None)

    @property
    def image_models(self) -> list[str]:
        return [m for m in IMAGE_MODELS if f"image_model:{m}" in self.features]

    @property
    def image_qualities(self) -> list[str]:
        return [q for q in IMAGE_QUALITIES if f"image_quality:{q}" in self.features]


def _f(*names: str) -> frozenset[str]:
    return frozenset(names)


_FREE_F = _f(F.image_model_grok2_basic, F.image_quality_draft, F.analytics_basic)
_STARTER_F = _FREE_F | _f(F.image_model_grok2_premium, F.image_quality_standard, F.autopilot_basic,
                          F.analytics_standard, F.api_keys, F.outbound_webhooks)
_PRO_F = _STARTER_F | _f(F.image_model_gpt_image_1, F.image_quality_premium, F.image_quality_story,
                         F.image_quality_banner, F.autopilot_enhanced, F.advanced_scheduling,
                         F.autopilot_research, F.analytics_advanced)
_ENTERPRISE_F = _PRO_F | _f(F.image_model_custom, F.autopilot_full, F.predictive_analytics, F.analytics_predictive)

GB = 1024 ** 3
# Media storage per organization (PRODUCT.md sets none): room for a few long videos on free, then x20 / x10 / x10.
MEDIA_STORAGE = {"free": GB // 4, "starter": 5 * GB, "pro": 50 * GB, "enterprise": 500 * GB}

PLANS: dict[str, Plan] = {
    p.plan_id: p
    for p in (
        Plan(plan_id="free", name="Free", rank=0, description="Try Lily with one profile",
             features=_FREE_F, autopilot="none", analytics="basic",
             quotas={"social_profiles": 1, "posts_per_day": 1, "image_generations": 5,
                     "ai_text_requests": 5, "team_seats": 1,
                     "media_storage_bytes": MEDIA_STORAGE["free"]}),
        Plan(plan_id="starter", name="Starter", rank=1, description="For a small business",
             prices=(Price(interval="month", amount_cents=2900), Price(interval="year", amount_cents=29000)),
             trial_days=14, features=_STARTER_F, autopilot="basic", analytics="standard",
             quotas={"social_profiles": 3, "posts_per_day": 5, "image_generations": 50,
                     "ai_text_requests": 20, "team_seats": 2,
                     "media_storage_bytes": MEDIA_STORAGE["starter"]}),
        Plan(plan_id="pro", name="Pro", rank=2, description="For growing teams and agencies",
             prices=(Price(interval="month", amount_cents=7900), Price(interval="year", amount_cents=79000)),
             trial_days=14, features=_PRO_F, autopilot="enhanced", analytics="advanced",
             quotas={"social_profiles": 10, "posts_per_day": 25, "image_generations": 500,
                     "ai_text_requests": 200, "team_seats": 5,
                     "media_storage_bytes": MEDIA_STORAGE["pro"]}),
        Plan(plan_id="enterprise", name="Enterprise", rank=3, description="For large organizations",
             prices=(Price(interval="month", amount_cents=29900), Price(interval="year", amount_cents=299000)),
             trial_days=0, self_serve=True, features=_ENTERPRISE_F, autopilot="full", analytics="predictive",
             quotas={"social_profiles": 25, "posts_per_day": 100, "image_generations": 2000,
                     "ai_text_requests": 2000, "team_seats": 25,
                     "media_storage_bytes": MEDIA_STORAGE["enterprise"]}),
    )
}
FREE = PLANS["free"]
PLAN_ORDER: list[Plan] = sorted(PLANS.values(), key=lambda p: p.rank)


def get_plan(plan_id: str | None) -> Plan:
    """The plan ``plan_id`` (unknown or missing ids are the free plan: never grant by accident)."""
    return PLANS.get(plan_id or "free", FREE)


def is_feature(name: str) -> bool:
    return name in FEATURES


def is_quota(name: str) -> bool:
    return name in QUOTAS


def cheapest_plan_with(feature: str | None = None, quota: str | None = None, at_least: int = 0,
                       above: Plan | None = None) -> Plan | None:
    """The cheapest plan that has ``feature`` or a ``quota`` limit of at least ``at_least``.

    ``above``: only plans ranked higher than this one (the upgrade that lifts a limit).
    """
    for plan in PLAN_ORDER:
        if above is not None and plan.rank <= above.rank:
            continue
        if feature is not None and not plan.has(feature):
            continue
        if quota is not None and plan.quotas.get(quota, 0) < at_least:
            continue
        return plan
    return None


def renewal_terms(plan: Plan) -> str:
    """Plain words for a plan's price, trial and renewal (consumer protection: say it before checkout)."""
    if plan.is_free:
        return "Free forever. No card needed."
    parts = []
    for p in plan.prices:
        amount = f"${p.amount_cents / 100:,.2f}".replace(".00", "")
        parts.append(f"{amount} per {p.interval}")
    text = " or ".join(parts) + ", billed in advance."
    if plan.trial_days:
        text += (f" Starts with a {plan.trial_days}-day free trial (first subscription only); you are charged"
                 " when the trial ends unless you cancel before.")
    text += (" Renews automatically at the end of each billing period until cancelled. Cancel any time in"
             " the app: you keep the plan until the end of the paid period and are not charged again."
             " Plan changes are prorated.")
    return text
