"""Downgrades keep data: the reaper moves ended subscriptions to free and the plan-change hooks
pause what exceeds the new limits, never deleting it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lily import composition
from lily.billing import entitlements
from lily.billing.reaper import reap
from lily.billing.stripe_gateway import StripeSubscription
from lily.billing.subscription_sync import sync_subscription
from lily.billing.views import subscription_view
from lily.core import clock, ids
from lily.core.config import reset_settings
from lily.core.errors import LilyError

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PRICES = {"starter:month": "price_s_m", "pro:month": "price_p_m", "enterprise:month": "price_e_m"}


@pytest.fixture
def billing_env(lily_env, monkeypatch):
    monkeypatch.setenv("LILY_STRIPE_PRICES", json.dumps(PRICES))
    monkeypatch.setenv("LILY_BILLING_GRACE_DAYS", "3")
    reset_settings()
    yield lily_env


@pytest.fixture
def hook_calls():
    return []


@pytest.fixture
def ports(hook_calls):
    """The deployment's billing ports plus a listener that records each plan change in ``hook_calls``."""

    def record(org_id, old, new):
        hook_calls.append((org_id, old.plan_id, new.plan_id))

    wired = composition.billing_ports()
    return wired._replace(plan_change_listeners=(*wired.plan_change_listeners, record))


def _snap(org_id: str, status: str = "active", plan: str = "pro", **kw) -> StripeSubscription:
    return StripeSubscription(id=kw.pop("id", "sub_" + org_id[-10:]), customer="cus_" + org_id[-10:], status=status,
                              price_id=PRICES[f"{plan}:month"], item_id="si_1", metadata={"org_id": org_id},
                              current_period_end=kw.pop("current_period_end", T0 + timedelta(days=30)), **kw)


def test_ended_subscription_is_downgraded_by_the_reaper_and_keeps_its_data(billing_env, ports, hook_calls):
    org_id = ids.new_id("org")
    with clock.freeze(T0):
        # Given a pro organization, set to cancel at the end of its period, with 5 connected profiles
        sync_subscription(ports, org_id, _snap(org_id, cancel_at_period_end=True,
                                                current_period_end=T0 + timedelta(hours=1)))
        for _ in range(5):
            entitlements.consume(org_id, "social_profiles")
        assert entitlements.plan_of(org_id).plan_id == "pro"
        assert hook_calls == [(org_id, "free", "pro")]
    # When its period ends (Stripe's "deleted" webhook never arrived) and the daily reaper runs
    with clock.freeze(T0 + timedelta(hours=3)):
        result = reap(ports)
        # Then the organization is on free, the hooks ran once for the downgrade
        assert result.downgraded == 1
        assert entitlements.plan_of(org_id).plan_id == "free"
        assert hook_calls[-1] == (org_id, "pro", "free")
        # And its connections are all still counted (nothing deleted), over the new limit of 1
        usage = {u.quota: u for u in entitlements.usage(org_id)}["social_profiles"]
        assert (usage.used, usage.limit) == (5, 1)
        with pytest.raises(LilyError) as refused:
            entitlements.consume(org_id, "social_profiles")
        assert refused.value.details["upgrade_to"] == "pro"  # 6 profiles fit pro
        # And running the reaper again changes nothing and notifies no one
        assert reap(ports).downgraded == 0
        assert len(hook_calls) == 2
        # Removing paused profiles gives the quota back until the plan fits again
        for _ in range(4):
            entitlements.release(org_id, "social_profiles")
        assert {u.quota: u.used for u in entitlements.usage(org_id)}["social_profiles"] == 1


def test_failed_payment_keeps_the_plan_for_the_grace_period_then_downgrades(billing_env, ports, hook_calls):
    org_id = ids.new_id("org")
    with clock.freeze(T0):
        sync_subscription(ports, org_id, _snap(org_id))
        sync_subscription(ports, org_id, _snap(org_id, status="past_due"))
        view = subscription_view(org_id)
        assert (view.status, view.plan_id) == ("past_due", "pro")
        assert view.grace_until == T0 + timedelta(days=3)
    with clock.freeze(T0 + timedelta(days=2)):
        sync_subscription(ports, org_id, _snap(org_id, status="past_due"))  # another retry failed
        assert subscription_view(org_id).grace_until == T0 + timedelta(days=3)  # grace is not extended
        assert reap(ports).downgraded == 0
    with clock.freeze(T0 + timedelta(days=3, seconds=1)):
        assert entitlements.plan_of(org_id).plan_id == "free"  # gates see it at once
        assert reap(ports).downgraded == 1
        assert hook_calls[-1] == (org_id, "pro", "free")
    with clock.freeze(T0 + timedelta(days=4)):
        sync_subscription(ports, org_id, _snap(org_id, status="active"))  # the card was updated
        assert entitlements.plan_of(org_id).plan_id == "pro"
        assert hook_calls[-1] == (org_id, "free", "pro")


def test_a_stale_ended_subscription_does_not_replace_the_live_one(billing_env, ports, hook_calls):
    org_id = ids.new_id("org")
    sync_subscription(ports, org_id, _snap(org_id, plan="starter", id="sub_new"))
    sync_subscription(ports, org_id, _snap(org_id, status="canceled", plan="pro", id="sub_old"))
    assert (subscription_view(org_id).stripe_subscription_id, entitlements.plan_of(org_id).plan_id) == (
        "sub_new", "starter")


def test_connections_over_the_new_limit_are_paused_not_deleted(billing_env, ports):
    from lily.social import models
    org_id = ids.new_id("org")
    with clock.freeze(T0):
        sync_subscription(ports, org_id, _snap(org_id, cancel_at_period_end=True,
                                                current_period_end=T0 + timedelta(hours=1)))
        for i in range(3):
            models.SocialConnection(
                org_id, f"conn_{i}", platform="x", account_id=f"acct{i}", account_kind="user",
                account_name=f"Account {i}", access_envelope="sealed", grant_id="grant", created_by="usr_test",
                created_at=T0 + timedelta(seconds=i), updated_at=T0).save()
            entitlements.consume(org_id, "social_profiles")
    with clock.freeze(T0 + timedelta(hours=2)):
        assert reap(ports).downgraded == 1
    conns = sorted(models.SocialConnection.query(org_id), key=lambda c: c.created_at)
    assert [c.status for c in conns] == ["active", "paused", "paused"]
    assert {u.quota: u.used for u in entitlements.usage(org_id)}["social_profiles"] == 3
