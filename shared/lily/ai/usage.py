"""Usage of every successful provider call: one row in the ``ai_usage`` table and metrics.

Metrics: ``ai_requests_total{provider,model,operation,feature,outcome}``,
``ai_tokens_total{provider,model,kind}``, ``ai_cost_usd_micros_total{provider,model}`` and
``ai_latency_seconds{provider,operation}``.
"""

from __future__ import annotations

from datetime import timedelta

from lily.ai.models import AIUsage
from lily.ai.ports import CallContext, Usage
from lily.ai.settings import ai_settings
from lily.core import clock, ids
from lily.core.observability import count, observe

RETENTION = timedelta(days=365)


def cost_of(model: str, usage: Usage) -> float:
    """Estimated USD of one call from the configured price table (0 for unknown models)."""
    price = ai_settings().prices.get(model)
    if price is None:
        return 0.0
    return round((usage.input_tokens * price.input + usage.output_tokens * price.output) / 1_000_000, 8)


def record(ctx: CallContext, *, provider: str, model: str, operation: str, usage: Usage, latency_ms: float,
           attempts: int) -> float:
    """Store and count one successful call; returns its cost estimate."""
    cost = cost_of(model, usage)
    now = clock.now()
    AIUsage(ctx.org_id, f"{clock.iso(now)}#{ids.ulid()}", user_id=ctx.user_id, feature=ctx.feature,
            provider=provider, model=model, operation=operation, input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens, total_tokens=usage.total_tokens, cost_usd=cost,
            latency_ms=round(latency_ms, 1), attempts=attempts, at=now, expires_at=now + RETENTION).save()
    count("ai_requests_total", provider=provider, model=model, operation=operation, feature=ctx.feature,
          outcome="success")
    count("ai_tokens_total", usage.input_tokens, provider=provider, model=model, kind="input")
    count("ai_tokens_total", usage.output_tokens, provider=provider, model=model, kind="output")
    count("ai_cost_usd_micros_total", int(cost * 1_000_000), provider=provider, model=model)
    observe("ai_latency_seconds", latency_ms / 1000, provider=provider, operation=operation)
    return cost

