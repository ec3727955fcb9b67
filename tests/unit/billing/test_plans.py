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
    renewal_terms,
)

MATRIX = {  # PRODUCT.md "Plans"
    "social_profiles": (1, 3, 10, 25),
    "posts_per_day": (1, 5, 25, 100),
    "image_generations": (5, 50, 500, 2000),
    "ai_text_requests": (5, 20, 200, 2000),
    "team_seats": (1, 2, 5, 25),
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
        "ai_text_requests": QuotaKind.day, "image_generations": QuotaKind.month}


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
