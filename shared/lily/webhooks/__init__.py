"""Outbound webhooks for API users: subscriptions, the fan-out of domain events, signed deliveries with retries
(docs/webhooks.md, "Outbound webhooks")."""
