"""Billing: the plan catalog, entitlements (feature flags and quotas), Stripe subscriptions."""
