"""Billing configuration (environment ``LILY_*``), validated at cold start."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from lily.core.config import BaseSettings, load, on_reset, settings_config
from lily.core.resources import read_secret


class BillingSettings(BaseSettings):
    model_config = settings_config()

    stripe_api_base: str = Field("https://api.stripe.com", description="Stripe API base (the sandbox in local mode)")
    stripe_secret: str = Field("stripe", description="Secrets Manager short name holding {api_key, webhook_secret}")
    stripe_prices: dict[str, str] = Field(
        {},
        description='Stripe price id per plan and interval, JSON: {"starter:month": "price_...", ...}',
    )
    stripe_webhook_tolerance_s: int = Field(300, ge=1, description="Webhook timestamp tolerance")
    stripe_timeout_s: float = Field(8.0, gt=0, description="Stripe request timeout (seconds)")
    billing_grace_days: int = Field(7, ge=0, description="Days a past_due subscription keeps its plan")
    billing_success_url: str | None = Field(None, description="Checkout success URL (default: public base URL)")
    billing_cancel_url: str | None = Field(None, description="Checkout cancel URL (default: public base URL)")
    billing_portal_return_url: str | None = Field(None, description="Customer portal return URL")
    billing_webhook_event_ttl_days: int = Field(30, ge=7, description="How long processed event ids are kept")

    def price_id(self, plan_id: str, interval: str) -> str | None:
        return self.stripe_prices.get(f"{plan_id}:{interval}")

    def plan_for_price(self, price_id: str) -> tuple[str, str] | None:
        for key, value in self.stripe_prices.items():
            if value == price_id:
                plan_id, interval = key.split(":", 1)
                return plan_id, interval
        return None


@lru_cache(maxsize=1)
def billing_settings() -> BillingSettings:
    return load(BillingSettings)


@lru_cache(maxsize=1)
def stripe_keys() -> dict[str, str]:
    """``{api_key, webhook_secret}`` from Secrets Manager (cached per cold start)."""
    value = read_secret(billing_settings().stripe_secret)
    return {"api_key": value.get("api_key", ""), "webhook_secret": value.get("webhook_secret", "")}


on_reset(billing_settings.cache_clear)
on_reset(stripe_keys.cache_clear)
