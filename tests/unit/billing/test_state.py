"""Pure billing logic: effective plan of a subscription, quota periods, Stripe object parsing, form parsing."""

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lily.billing.entitlements import effective_plan_id, period_of
from lily.billing.models import Subscription
from lily.billing.plans import QuotaKind
from lily.billing.stripe_gateway import StripeSubscription
from lily.local.sandboxes.stripe import parse_form

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _sub(**kw) -> Subscription:
    base = {"plan_id": "pro", "status": "active", "cancel_at_period_end": False,
            "current_period_end": NOW + timedelta(days=10)}
    return Subscription("org_x", **(base | kw))


@pytest.mark.parametrize(("kw", "expected"), [
    ({}, "pro"),
    ({"status": "trialing"}, "pro"),
    ({"cancel_at_period_end": True}, "pro"),
    ({"cancel_at_period_end": True, "current_period_end": NOW - timedelta(seconds=1)}, "free"),
    ({"cancel_at_period_end": True, "current_period_end": NOW}, "free"),  # the period ends at its end instant
    ({"cancel_at_period_end": True, "current_period_end": NOW + timedelta(seconds=1)}, "pro"),
    # not cancelling: a past period end alone never downgrades
    ({"cancel_at_period_end": False, "current_period_end": NOW - timedelta(days=1)}, "pro"),
    ({"status": "past_due", "grace_until": NOW + timedelta(hours=1)}, "pro"),
    ({"status": "past_due", "grace_until": NOW - timedelta(hours=1)}, "free"),
    ({"status": "past_due", "grace_until": NOW}, "free"),  # grace ends at its instant
    ({"status": "past_due", "grace_until": NOW + timedelta(seconds=1)}, "pro"),
    ({"status": "past_due"}, "free"),
    ({"status": "canceled"}, "free"),
    ({"status": "unpaid"}, "free"),
    ({"status": "incomplete"}, "free"),
    ({"status": "incomplete_expired"}, "free"),
    ({"status": "paused"}, "free"),
    ({"plan_id": "platinum"}, "free"),
])
def test_effective_plan(kw, expected):
    assert effective_plan_id(_sub(**kw), NOW) == expected


def test_no_subscription_is_free():
    assert effective_plan_id(None, NOW) == "free"


def test_periods_start_at_utc_boundaries_whatever_the_time_of_day():
    late = datetime(2026, 11, 27, 23, 59, 59, 999999, tzinfo=UTC)
    assert period_of(QuotaKind.day, late) == ("2026-11-27", datetime(2026, 11, 28, tzinfo=UTC))
    assert period_of(QuotaKind.month, late) == ("2026-11", datetime(2026, 12, 1, tzinfo=UTC))
    assert period_of(QuotaKind.month, datetime(2027, 2, 1, 0, 0, 1, tzinfo=UTC)) == (
        "2027-02", datetime(2027, 3, 1, tzinfo=UTC))
    paris = timezone(timedelta(hours=1))
    assert period_of(QuotaKind.day, datetime(2026, 11, 28, 0, 30, tzinfo=paris))[0] == "2026-11-27"


def test_periods_do_not_follow_the_server_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
    time.tzset()
    try:
        assert period_of(QuotaKind.day, datetime(2026, 11, 27, 12, 0, tzinfo=UTC)) == (
            "2026-11-27", datetime(2026, 11, 28, tzinfo=UTC))
    finally:
        monkeypatch.undo()
        time.tzset()


def test_periods():
    assert period_of(QuotaKind.day, NOW) == ("2026-11-27", datetime(2026, 11, 28, tzinfo=UTC))
    assert period_of(QuotaKind.month, datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == (
        "2026-12", datetime(2027, 1, 1, tzinfo=UTC))
    assert period_of(QuotaKind.gauge, NOW) == ("gauge", None)


def test_subscription_period_comes_from_the_item_in_current_api_versions():
    obj = {"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "active",
           "cancel_at_period_end": True, "metadata": {"org_id": "org_1"},
           "items": {"data": [{"id": "si_1", "price": {"id": "price_1"}, "current_period_end": 1798380000}]}}
    snap = StripeSubscription.from_stripe(obj)
    assert (snap.item_id, snap.price_id, snap.cancel_at_period_end) == ("si_1", "price_1", True)
    assert snap.current_period_end == datetime.fromtimestamp(1798380000, tz=UTC)
    legacy = obj | {"current_period_end": 1700000000, "items": {"data": [{"id": "si_1", "price": {"id": "p"}}]}}
    assert StripeSubscription.from_stripe(legacy).current_period_end.year == 2023


def test_bracket_notation_form_parsing():
    parsed = parse_form([
        ("mode", "subscription"), ("line_items[0][price]", "price_1"), ("line_items[0][quantity]", "1"),
        ("metadata[org_id]", "org_1"), ("subscription_data[trial_period_days]", "14"),
        ("subscription_data[metadata][plan_id]", "pro"), ("items[1][id]", "si_2"), ("items[0][id]", "si_1"),
    ])
    assert parsed == {
        "mode": "subscription", "line_items": [{"price": "price_1", "quantity": "1"}],
        "metadata": {"org_id": "org_1"},
        "subscription_data": {"trial_period_days": "14", "metadata": {"plan_id": "pro"}},
        "items": [{"id": "si_1"}, {"id": "si_2"}],
    }
