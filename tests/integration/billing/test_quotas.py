"""Quotas are atomic counters: concurrent callers never overshoot, and periods reset at UTC boundaries."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from lily.billing import entitlements
from lily.billing.entitlements import consume, release, usage
from lily.billing.plans import FREE, PLANS, QUOTAS, QuotaKind
from lily.core import clock, ids
from lily.core.errors import LilyError
from lily.core.observability import counter_value

CONCURRENCY = 50


def _fill(org_id: str, quota: str, n: int) -> None:
    if n:
        consume(org_id, quota, n)


@pytest.mark.parametrize("quota", sorted(QUOTAS))
def test_fifty_concurrent_requests_at_limit_minus_one_let_exactly_one_through(lily_env, atomic_dynamodb_writes, quota):
    # Given an organization on the free plan one unit below its limit
    org_id = ids.new_id("org")
    limit = FREE.limit(quota)
    _fill(org_id, quota, limit - 1)
    assert {u.quota: u.used for u in usage(org_id)}[quota] == limit - 1  # (also warms the shared client)
    # When 50 requests consume one unit at the same moment
    barrier = threading.Barrier(CONCURRENCY)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            consume(org_id, quota, 1, plan=FREE)
            result = "ok"
        except LilyError as exc:
            result = exc.code.value
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly one got through and the counter sits at the limit
    assert outcomes.count("ok") == 1
    assert outcomes.count("PLAN_002") == CONCURRENCY - 1
    current = {u.quota: u for u in usage(org_id)}[quota]
    assert current.used == limit
    assert counter_value("plan_limit_hits_total", feature=quota, plan="free") >= CONCURRENCY - 1


@pytest.mark.parametrize(("quota", "last_instant", "next_instant"), [
    ("posts_per_day", datetime(2026, 11, 27, 23, 59, 59, tzinfo=UTC), datetime(2026, 11, 28, 0, 0, 0, tzinfo=UTC)),
    ("ai_text_requests", datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(2027, 1, 1, 0, 0, 1, tzinfo=UTC)),
    ("image_generations", datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC), datetime(2026, 3, 1, 0, 0, 0, tzinfo=UTC)),
])
def test_period_counters_reset_at_the_utc_boundary(lily_env, quota, last_instant, next_instant):
    org_id = ids.new_id("org")
    limit = FREE.limit(quota)
    # Given the quota is used up in the last second of its period
    with clock.freeze(last_instant):
        consume(org_id, quota, limit)
        with pytest.raises(LilyError) as refused:
            consume(org_id, quota)
        reset_at = refused.value.details["reset_at"]
        assert clock.parse_iso(reset_at) == next_instant.replace(second=0, hour=0, minute=0)
        assert int(refused.value.headers["Retry-After"]) <= 2
    # When the period boundary passes
    with clock.freeze(next_instant):
        # Then the whole limit is available again
        assert consume(org_id, quota, limit).used == limit
        assert {u.quota: u.used for u in usage(org_id)}[quota] == limit


def test_gauges_never_reset_and_release_gives_back(lily_env):
    org_id = ids.new_id("org")
    with clock.freeze(datetime(2026, 11, 27, 23, 0, tzinfo=UTC)):
        consume(org_id, "social_profiles")
    with clock.freeze(datetime(2027, 3, 1, 0, 0, tzinfo=UTC)):
        with pytest.raises(LilyError) as refused:
            consume(org_id, "social_profiles")
        assert refused.value.status == 429
        assert refused.value.details["reset_at"] is None
        assert "Retry-After" not in refused.value.headers
        assert release(org_id, "social_profiles") == 0
        assert release(org_id, "social_profiles") == 0  # never below zero
        assert consume(org_id, "social_profiles").used == 1


def test_refusal_names_the_limit_the_usage_and_the_cheapest_plan_that_lifts_it(lily_env):
    org_id = ids.new_id("org")
    consume(org_id, "image_generations", 5)
    before = counter_value("plan_limit_hits_total", feature="image_generations", plan="free")
    with pytest.raises(LilyError) as refused:
        consume(org_id, "image_generations", 1)
    err = refused.value
    assert (err.code.value, err.status) == ("PLAN_002", 429)
    assert err.details | {"reset_at": None} == {
        "quota": "image_generations", "limit": 5, "used": 5, "requested": 1, "reset_at": None,
        "plan": "free", "upgrade_to": "starter"}
    assert counter_value("plan_limit_hits_total", feature="image_generations", plan="free") == before + 1
    # A request bigger than a whole plan's limit names the plan that fits it
    with pytest.raises(LilyError) as big:
        consume(org_id, "image_generations", 400)
    assert big.value.details["upgrade_to"] == "pro"


def test_require_refuses_features_outside_the_plan(lily_env):
    org_id = ids.new_id("org")
    assert entitlements.check(org_id, "image_model:grok2_basic")
    with pytest.raises(LilyError) as refused:
        entitlements.require(org_id, "advanced_scheduling")
    assert (refused.value.status, refused.value.details) == (
        403, {"feature": "advanced_scheduling", "plan": "free", "upgrade_to": "pro"})
    with pytest.raises(ValueError):
        entitlements.require(org_id, "no_such_feature")


def test_usage_lists_every_quota_with_its_kind(lily_env):
    org_id = ids.new_id("org")
    consume(org_id, "ai_text_requests", 2)
    rows = {u.quota: u for u in usage(org_id, plan=PLANS["pro"])}
    assert set(rows) == set(QUOTAS)
    assert (rows["ai_text_requests"].used, rows["ai_text_requests"].limit) == (2, 200)
    assert rows["team_seats"].kind == QuotaKind.gauge and rows["team_seats"].reset_at is None
