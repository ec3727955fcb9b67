"""Billing health: is Stripe configured (keys, a price for every self-serve plan) and reachable."""

from __future__ import annotations

import time

from lily.billing.plans import PLAN_ORDER
from lily.billing.schemas import BillingHealth
from lily.billing.settings import billing_settings, stripe_keys
from lily.billing.stripe_gateway import StripeGateway, stripe_gateway


def health(gateway: StripeGateway | None = None) -> BillingHealth:
    s = billing_settings()
    missing: list[str] = []
    try:
        keys = stripe_keys()
    except Exception as exc:  # noqa: BLE001 - boundary: a health check reports any failure, never raises
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
        except Exception as exc:  # noqa: BLE001 - boundary: a health check reports any failure, never raises
            error = type(exc).__name__
        latency = round((time.perf_counter() - started) * 1000, 2)
    configured = not missing
    return BillingHealth(status="ok" if configured and reachable else "degraded", configured=configured,
                         reachable=reachable, api_base=s.stripe_api_base, missing=missing, latency_ms=latency,
                         error=error)
