"""Billing's side of an organization's erasure (privacy's :class:`lily.privacy.ports.Subscriptions`): its Stripe
subscription cancelled at once (not at the period's end: nobody is left to use it). Idempotent: a subscription
already cancelled, or gone at Stripe, is left as it is."""

from __future__ import annotations

from lily.billing.entitlements import subscription_of
from lily.billing.stripe_gateway import StripeGateway, stripe_gateway
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count, logger

ENDED = {"canceled", "incomplete_expired"}


class StripeSubscriptions:
    def __init__(self, gateway: StripeGateway | None = None) -> None:
        self._gateway = gateway

    def cancel_org(self, org_id: str) -> bool:
        sub = subscription_of(org_id)
        if sub is None or not sub.stripe_subscription_id or (sub.status or "") in ENDED:
            return False
        try:
            (self._gateway or stripe_gateway()).cancel_subscription(sub.stripe_subscription_id)
        except LilyError as exc:
            if exc.code != ErrorCode.VALIDATION_004:  # gone at Stripe already: nothing to cancel
                raise
            return False
        count("billing_subscriptions_cancelled_total", reason="erasure")
        logger.info("subscription cancelled for an erasure", extra={"org_id": org_id})
        return True
