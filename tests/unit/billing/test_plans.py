"""The catalog is PRODUCT.md's plan matrix, as data."""

import pytest

from lily.billing.plans import (
    FEATURES,
    PLAN_ORDER,
    PLANS,
    QUOTAS,
    QuotaKind,
    cheapest_plan_with,
    get_plan,
    is_feature,
    is_quota,
    renewal_terms,
)

MATRIX = {  # PRODUCT.md "Plans"
    "social_profiles": (1, 3, 10, 25),
    "posts_per_day": (1, 5, 25, 100),
    "image_generations": (5, 50, 500, 2000),
    "ai_text_requests": (5, 20, 200, 2000),
    "team_seats": (1, 2, 5, 25),
    # PRODUCT.md sets no media storage; lily.billing.plans.MEDIA_STORAGE holds it (bytes)
    "media_storage_bytes": (2 ** 28, 5 * 2 ** 30, 50 * 2 ** 30, 500 * 2 ** 30),
}


@pytest.mark.parametrize("quota", sorted(MATRIX))
def test_quota_limits_match_the_product_matrix(quota):
    assert tuple(p.limit(quota) for p in PLAN_ORDER) == MATRIX[quota]


def test_plans_in_price_order_with_trials():
    assert [p.plan_id for p in PLAN_ORDER] == ["free", "starter", "pro", "enterprise"]
    assert [p.trial_days for p in PLAN_ORDER] == [0, 14, 14, 0]
    assert PLANS["free"].is_free and not PLANS["free"].prices


def test_quota_kinds():
    assert {q: s.kind for q, s in QUOTAS.items()} == {
        "social_profiles": QuotaKind.gauge, "team_seats": QuotaKind.gauge, "posts_per_day": QuotaKind.day,
        "ai_text_requests": QuotaKind.day, "image_generations": QuotaKind.month,
        "media_storage_bytes": QuotaKind.gauge}


def test_image_models_and_qualities_follow_the_matrix():
    assert [p.image_models for p in PLAN_ORDER] == [
        ["grok2_basic"], ["grok2_basic", "grok2_premium"], ["grok2_basic", "grok2_premium", "gpt_image_1"],
        ["grok2_basic", "grok2_premium", "gpt_image_1"]]
    assert PLANS["enterprise"].has("image_model:custom") and not PLANS["pro"].has("image_model:custom")
    assert [p.image_qualities[-1] for p in PLAN_ORDER] == ["draft", "standard", "banner", "banner"]


@pytest.mark.parametrize(("feature", "cheapest"), [
    ("advanced_scheduling", "pro"), ("autopilot_research", "pro"), ("predictive_analytics", "enterprise"),
    ("api_keys", "starter"), ("outbound_webhooks", "starter"), ("autopilot_basic", "starter"),
    ("autopilot_enhanced", "pro"), ("autopilot_full", "enterprise"), ("analytics_basic", "free"),
])
def test_cheapest_plan_with_a_feature(feature, cheapest):
    assert cheapest_plan_with(feature=feature).plan_id == cheapest


def test_cheapest_plan_that_lifts_a_limit():
    assert cheapest_plan_with(quota="posts_per_day", at_least=6).plan_id == "pro"
    assert cheapest_plan_with(quota="posts_per_day", at_least=2, above=PLANS["starter"]).plan_id == "pro"
    assert cheapest_plan_with(quota="posts_per_day", at_least=101) is None


def test_every_feature_is_described_and_higher_plans_include_lower_ones():
    for lower, higher in zip(PLAN_ORDER, PLAN_ORDER[1:], strict=False):
        assert lower.features <= higher.features
    assert all(f in FEATURES for p in PLAN_ORDER for f in p.features)


def test_unknown_plan_ids_are_free_and_terms_are_plain_words():
    assert get_plan("gold").plan_id == "free" and get_plan(None).plan_id == "free"
    terms = renewal_terms(PLANS["pro"])
    assert "$79 per month" in terms and "14-day free trial" in terms and "Renews automatically" in terms


@pytest.mark.parametrize(("quota", "at_least", "cheapest"), [
    ("posts_per_day", 1, "free"), ("posts_per_day", 2, "starter"),
    ("posts_per_day", 5, "starter"), ("posts_per_day", 6, "pro"),  # the exact limit is enough
    ("posts_per_day", 25, "pro"), ("posts_per_day", 26, "enterprise"), ("posts_per_day", 100, "enterprise"),
    ("social_profiles", 3, "starter"), ("social_profiles", 4, "pro"), ("team_seats", 25, "enterprise"),
])
def test_upgrade_suggestion_at_the_exact_limit(quota, at_least, cheapest):
    assert cheapest_plan_with(quota=quota, at_least=at_least).plan_id == cheapest


def test_upgrades_above_a_plan_and_quotas_no_plan_has():
    assert cheapest_plan_with(quota="posts_per_day", at_least=5, above=PLANS["free"]).plan_id == "starter"
    assert cheapest_plan_with(quota="posts_per_day", at_least=1, above=PLANS["pro"]).plan_id == "enterprise"
    assert cheapest_plan_with(feature="api_keys", above=PLANS["starter"]).plan_id == "pro"
    assert cheapest_plan_with(above=PLANS["enterprise"]) is None
    assert cheapest_plan_with(quota="no_such_quota", at_least=1) is None
    assert cheapest_plan_with(quota="posts_per_day").plan_id == "free"


def test_plan_prices_by_interval():
    assert PLANS["pro"].price("month").amount_cents == 7900 and PLANS["pro"].price("year").amount_cents == 79000
    assert PLANS["free"].price("month") is None


def test_declared_names():
    assert is_feature("api_keys") and not is_feature("posts_per_day")
    assert is_quota("posts_per_day") and not is_quota("api_keys")


def test_renewal_terms_in_full():
    assert renewal_terms(PLANS["free"]) == "Free forever. No card needed."
    after = (" Renews automatically at the end of each billing period until cancelled. Cancel any time in the app:"
             " you keep the plan until the end of the paid period and are not charged again."
             " Plan changes are prorated.")
    assert renewal_terms(PLANS["starter"]) == (
        "$29 per month or $290 per year, billed in advance. Starts with a 14-day free trial (first subscription"
        " only); you are charged when the trial ends unless you cancel before." + after)
    assert renewal_terms(PLANS["enterprise"]) == "$299 per month or $2,990 per year, billed in advance." + after


def test_the_catalog_is_well_formed_data():
    """What a validated model used to check at every cold start, checked once here: the catalog is code."""
    from lily.billing.plans import INTERVALS

    assert [p.rank for p in PLAN_ORDER] == list(range(len(PLANS)))
    for plan_id, plan in PLANS.items():
        assert plan.plan_id == plan_id and plan.name and plan.description
        assert isinstance(plan.features, frozenset) and plan.features <= set(FEATURES), plan_id
        assert set(plan.quotas) == set(QUOTAS) and all(isinstance(v, int) and v >= 0 for v in plan.quotas.values())
        assert plan.autopilot in ("none", "basic", "enhanced", "full")
        assert plan.analytics in ("basic", "standard", "advanced", "predictive")
        assert isinstance(plan.trial_days, int) and plan.trial_days >= 0 and isinstance(plan.self_serve, bool)
        assert isinstance(plan.prices, tuple)
        assert sorted(p.interval for p in plan.prices) == ([] if plan.is_free else sorted(INTERVALS)), plan_id
        for price in plan.prices:
            assert isinstance(price.amount_cents, int) and price.amount_cents > 0 and price.currency == "usd"
    assert all(q.name == name and isinstance(q.kind, QuotaKind) and q.description for name, q in QUOTAS.items())
