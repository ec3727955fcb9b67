"""The one entitlement service every capability calls, from routes, schedules and workers alike.

- :func:`plan_of` — the organization's effective plan (free when there is no live subscription).
- :func:`require` — a feature flag check; raises ``PLAN_001`` (403) naming the cheapest plan with it.
- :func:`consume` / :func:`release` — atomic quota counters (DynamoDB ``ADD`` with a condition on
  the limit, so concurrent callers can never overshoot); ``consume`` raises ``PLAN_002`` (429) with
  the limit, the usage, the reset time and the plan that lifts it.
- :func:`usage` — used, limit and reset time of every quota.
- metrics: ``plan_limit_hits_total{feature,plan}`` on every refusal, ``quota_utilization_percent{feature,plan}``
  (used / limit after each consume or refusal).
- :class:`PlanQuota` / :class:`PlanFeature` — one quota or feature bound by name: what other capabilities'
  quota and feature ports are wired to (:mod:`lily.composition`).
- :func:`lily.billing.gates.requires_feature` / :func:`lily.billing.gates.consumes_quota` — the same gate
  as FastAPI dependencies.

Period quotas count per UTC day or month (a new counter item per period, so a reset is a new
key, never a sweep); gauge quotas (``social_profiles``, ``team_seats``) count existing things.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pynamodb.exceptions import DoesNotExist

from lily.billing.models import QuotaCounter, Subscription
from lily.billing.plans import FEATURES, FREE, QUOTAS, Plan, QuotaKind, cheapest_plan_with, get_plan
from lily.billing.quota_usage import QuotaUsage
from lily.core import clock
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count, logger, observe

LIVE_STATUSES = {"active", "trialing"}
ENDED_STATUSES = {"canceled", "incomplete_expired", "unpaid", "paused", "incomplete", "none"}


# ---------------------------------------------------------------- plan of an organization

def subscription_of(org_id: str) -> Subscription | None:
    try:
        return Subscription.get(org_id, consistent_read=True)
    except DoesNotExist:
        return None


def effective_plan_id(sub: Subscription | None, now: datetime | None = None) -> str:
    """The plan a subscription record entitles to now (pure: no I/O).

    active/trialing → its plan (unless it was set to cancel and its period has ended: a missed
    ``customer.subscription.deleted`` must not keep a plan); past_due → its plan until the grace
    period ends; anything else → free.
    """
    if sub is None:
        return FREE.plan_id
    now = now or clock.now()
    status = sub.status or "none"
    if status in LIVE_STATUSES:
        if sub.cancel_at_period_end and sub.current_period_end is not None and sub.current_period_end <= now:
            return FREE.plan_id
        return get_plan(sub.plan_id).plan_id
    if status == "past_due":
        if sub.grace_until is not None and sub.grace_until > now:
            return get_plan(sub.plan_id).plan_id
        return FREE.plan_id
    return FREE.plan_id


def plan_of(org_id: str) -> Plan:
    """The organization's effective plan (free without a live subscription)."""
    return get_plan(effective_plan_id(subscription_of(org_id)))


# ---------------------------------------------------------------- features

def check(org_id: str, feature: str) -> bool:
    """True when the organization's plan has ``feature`` (no side effects)."""
    _known_feature(feature)
    return plan_of(org_id).has(feature)


def require(org_id: str, feature: str) -> Plan:
    """Return the plan when it has ``feature``; otherwise count, log and raise PLAN_001 (403)."""
    _known_feature(feature)
    plan = plan_of(org_id)
    if plan.has(feature):
        return plan
    upgrade = cheapest_plan_with(feature=feature)
    details = {"feature": feature, "plan": plan.plan_id, "upgrade_to": upgrade.plan_id if upgrade else None}
    _limit_hit(org_id, feature, plan, details)
    raise LilyError(ErrorCode.PLAN_001, f"{FEATURES[feature]} is not included in the {plan.name} plan", details)


def _known_feature(feature: str) -> None:
    if feature not in FEATURES:
        raise ValueError(f"unknown feature {feature!r} (declare it in lily.billing.plans)")


def _limit_hit(org_id: str, feature: str, plan: Plan, details: dict[str, Any]) -> None:
    count("plan_limit_hits_total", feature=feature, plan=plan.plan_id)
    logger.info("plan limit hit", extra={"org_id": org_id, **details})


# ---------------------------------------------------------------- quotas

def period_of(kind: QuotaKind, now: datetime | None = None) -> tuple[str, datetime | None]:
    """(period key, reset time) of a quota kind at ``now`` (UTC)."""
    now = (now or clock.now()).astimezone(UTC)
    if kind == QuotaKind.day:
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start.strftime("%Y-%m-%d"), start + timedelta(days=1)
    if kind == QuotaKind.month:
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        nxt = (start + timedelta(days=32)).replace(day=1)
        return start.strftime("%Y-%m"), nxt
    return "gauge", None


def _counter_key(org_id: str, quota: str) -> str:
    return f"{org_id}#{quota}"


def _spec(quota: str):
    spec = QUOTAS.get(quota)
    if spec is None:
        raise ValueError(f"unknown quota {quota!r} (declare it in lily.billing.plans)")
    return spec


def _expiry(reset_at: datetime | None) -> datetime | None:
    # Keep a finished period a while (usage history, late reads), then let TTL delete it.
    return reset_at + timedelta(days=35) if reset_at else None


def _used(org_id: str, quota: str, period: str) -> int:
    try:
        return int(QuotaCounter.get(_counter_key(org_id, quota), period, consistent_read=True).used or 0)
    except DoesNotExist:
        return 0


def consume(org_id: str, quota: str, amount: int = 1, plan: Plan | None = None) -> QuotaUsage:
    """Atomically use ``amount`` of ``quota``; raise PLAN_002 (429) when it would pass the limit.

    One conditional ``UpdateItem``: ``ADD used :amount`` only if ``used`` is absent or
    ``used <= limit - amount``. Of N concurrent callers at ``limit - 1`` exactly one wins.
    """
    if amount < 1:
        raise ValueError("amount must be >= 1")
    spec = _spec(quota)
    plan = plan or plan_of(org_id)
    limit = plan.limit(quota)
    period, reset_at = period_of(spec.kind)
    max_before = limit - amount
    if max_before >= 0:
        item = QuotaCounter(_counter_key(org_id, quota), period)
        actions = [QuotaCounter.used.add(amount)]
        expires = _expiry(reset_at)
        if expires is not None:
            actions.append(QuotaCounter.expires_at.set(expires))
        fits = QuotaCounter.used.does_not_exist() | (QuotaCounter.used <= max_before)
        if won(lambda: item.update(actions=actions, condition=fits)):
            used = int(item.used)
            _utilization(quota, plan, used, limit)
            return QuotaUsage(quota=quota, kind=spec.kind, period=period, used=used, limit=limit,
                              remaining=max(0, limit - used), reset_at=reset_at)
    used = _used(org_id, quota, period)
    upgrade = cheapest_plan_with(quota=quota, at_least=used + amount, above=plan)
    details: dict[str, Any] = {
        "quota": quota, "limit": limit, "used": used, "requested": amount,
        "reset_at": clock.iso(reset_at) if reset_at else None, "plan": plan.plan_id,
        "upgrade_to": upgrade.plan_id if upgrade else None,
    }
    _utilization(quota, plan, used, limit)
    headers = {}
    if reset_at is not None:
        headers["Retry-After"] = str(max(1, math.ceil((reset_at - clock.now()).total_seconds())))
    _limit_hit(org_id, quota, plan, details)
    what = QUOTAS[quota].description
    raise LilyError(ErrorCode.PLAN_002, f"{what}: the {plan.name} plan allows {limit}", details, headers)


def _utilization(quota: str, plan: Plan, used: int, limit: int) -> None:
    """``quota_utilization_percent{feature,plan}``: how full the quota is after a consume (or a refusal), for
    capacity alarms. A limit of 0 that is asked for counts as full."""
    percent = 100.0 * used / limit if limit > 0 else 100.0
    observe("quota_utilization_percent", round(percent, 2), unit=MetricUnit.Percent, feature=quota, plan=plan.plan_id)


def release(org_id: str, quota: str, amount: int = 1) -> int:
    """Give back ``amount`` of the current period's ``quota`` (never below 0); returns the new usage."""
    if amount < 1:
        raise ValueError("amount must be >= 1")
    spec = _spec(quota)
    period, _ = period_of(spec.kind)
    item = QuotaCounter(_counter_key(org_id, quota), period)
    if won(lambda: item.update(actions=[QuotaCounter.used.add(-amount)], condition=QuotaCounter.used >= amount)):
        return int(item.used)
    # Less than ``amount`` was used: floor at zero (only if the counter exists; a missing one stays missing).
    won(lambda: item.update(actions=[QuotaCounter.used.set(0)], condition=QuotaCounter.used.exists()))
    return 0


def set_gauge(org_id: str, quota: str, value: int) -> None:
    """Reconcile a gauge with the real count of things (e.g. after a repair job). Gauges only."""
    spec = _spec(quota)
    if spec.kind != QuotaKind.gauge:
        raise ValueError(f"{quota} is not a gauge")
    QuotaCounter(_counter_key(org_id, quota), "gauge", used=max(0, int(value))).save()


def usage(org_id: str, plan: Plan | None = None) -> list[QuotaUsage]:
    """Used, limit and reset time of every quota of the organization, for the current periods."""
    plan = plan or plan_of(org_id)
    periods = {q: period_of(spec.kind) for q, spec in QUOTAS.items()}
    keys = [(_counter_key(org_id, q), periods[q][0]) for q in QUOTAS]
    found = {(c.key, c.period): int(c.used or 0) for c in QuotaCounter.batch_get(keys, consistent_read=True)}
    out = []
    for q, spec in QUOTAS.items():
        period, reset_at = periods[q]
        used = found.get((_counter_key(org_id, q), period), 0)
        limit = plan.limit(q)
        out.append(QuotaUsage(quota=q, kind=spec.kind, period=period, used=used, limit=limit,
                              remaining=max(0, limit - used), reset_at=reset_at))
    return out


def remaining(org_id: str, quota: str) -> int:
    """How much of ``quota`` the organization has left in the current period."""
    period, _ = period_of(_spec(quota).kind)
    return max(0, plan_of(org_id).limit(quota) - _used(org_id, quota, period))


# ---------------------------------------------------------------- what other capabilities' ports are wired to


class PlanQuota:
    """One plan quota, bound by name: implements the quota ports other capabilities declare
    (``social.ports.ProfileQuota``, ``identity.ports.SeatQuota``, ``publishing.ports.QuotaPort``)."""

    def __init__(self, quota: str) -> None:
        self.quota = _spec(quota).name

    def consume(self, org_id: str, amount: int = 1) -> None:
        consume(org_id, self.quota, amount)

    def release(self, org_id: str, amount: int = 1) -> None:
        release(org_id, self.quota, amount)

    def remaining(self, org_id: str) -> int:
        return remaining(org_id, self.quota)


class PlanFeature:
    """One plan feature, bound by name: implements feature-gate ports (``identity.ports.FeatureGate``)."""

    def __init__(self, feature: str) -> None:
        _known_feature(feature)
        self.feature = feature

    def require(self, org_id: str) -> None:
        require(org_id, self.feature)
