"""The Stripe port and its adapter.

:class:`StripeGateway` is what billing logic needs from Stripe, in Lily's terms. The one adapter,
:class:`StripeClientGateway`, uses the official ``stripe`` package (``StripeClient``) against a
configurable API base: ``https://api.stripe.com`` in the cloud, the local Stripe sandbox
(:mod:`lily.local.sandboxes.stripe`) offline — the same code path either way. Tests may pass a
fake implementing the same protocol.

Every POST carries an explicit ``Idempotency-Key`` derived from the business operation, so a
retried request (ours or the SDK's) can never create a second customer, session or change.
SDK errors become ``EXTERNAL_002`` (or ``VALIDATION_*`` for a missing object) here, never above.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from lily.billing.settings import billing_settings, stripe_keys
from lily.core.config import on_reset
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import logger
from lily.core.schema import Schema


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


class StripeSubscription(Schema):
    """The fields of a Stripe Subscription Lily derives its state from."""

    id: str
    customer: str
    status: str
    cancel_at_period_end: bool = False
    current_period_end: datetime | None = None
    trial_end: datetime | None = None
    ended_at: datetime | None = None
    price_id: str | None = None
    item_id: str | None = None
    metadata: dict[str, str] = {}

    @classmethod
    def from_stripe(cls, obj: dict[str, Any]) -> StripeSubscription:
        items = ((obj.get("items") or {}).get("data")) or []
        item = items[0] if items else {}
        price = item.get("price") or {}
        # Current API versions keep the period on the subscription item; older ones on the subscription.
        period_end = item.get("current_period_end") or obj.get("current_period_end")
        customer = obj.get("customer")
        return cls(
            id=obj["id"],
            customer=customer["id"] if isinstance(customer, dict) else str(customer),
            status=obj.get("status", "incomplete"),
            cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
            current_period_end=_ts(period_end),
            trial_end=_ts(obj.get("trial_end")),
            ended_at=_ts(obj.get("ended_at")),
            price_id=price.get("id") if isinstance(price, dict) else price,
            item_id=item.get("id"),
            metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()},
        )


class CheckoutSession(Schema):
    id: str
    url: str | None
    expires_at: datetime | None = None


class StripeGateway(Protocol):
    def create_customer(self, org_id: str, email: str | None, idempotency_key: str) -> str: ...

    def create_checkout_session(self, params: dict[str, Any], idempotency_key: str) -> CheckoutSession: ...

    def create_portal_session(self, customer_id: str, return_url: str, idempotency_key: str) -> str: ...

    def retrieve_subscription(self, subscription_id: str) -> StripeSubscription: ...

    def update_subscription(self, subscription_id: str, params: dict[str, Any],
                            idempotency_key: str) -> StripeSubscription: ...

    def cancel_subscription(self, subscription_id: str) -> StripeSubscription: ...

    def ping(self) -> None: ...


def _translate(exc: Exception, operation: str) -> LilyError:
    import stripe

    status = getattr(exc, "http_status", None)
    code = getattr(exc, "code", None)
    logger.warning("stripe call failed", extra={"operation": operation, "stripe_status": status,
                                                "stripe_code": code, "error_type": type(exc).__name__})
    if isinstance(exc, stripe.InvalidRequestError) and code == "resource_missing":
        return LilyError(ErrorCode.VALIDATION_004, "Billing object not found", {"operation": operation})
    return LilyError(ErrorCode.EXTERNAL_002, None, {"operation": operation, "stripe_code": code},
                     retryable=isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError)
                     or (status or 500) >= 500)


class StripeClientGateway:
    """The ``stripe`` SDK (``StripeClient``) against ``LILY_STRIPE_API_BASE``."""

    def __init__(self, api_key: str, api_base: str, timeout_s: float = 8.0) -> None:
        import stripe

        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            max_network_retries=2,
            http_client=stripe.new_default_http_client(timeout=timeout_s),
        )

    def _call(self, operation: str, fn, *args, **kwargs):
        import stripe

        try:
            result = fn(*args, **kwargs)
        except stripe.StripeError as exc:
            raise _translate(exc, operation) from None
        return result.to_dict() if hasattr(result, "to_dict") else result

    def create_customer(self, org_id: str, email: str | None, idempotency_key: str) -> str:
        params: dict[str, Any] = {"metadata": {"org_id": org_id}, "description": f"Lily organization {org_id}"}
        if email:
            params["email"] = email
        obj = self._call("customers.create", self.client.v1.customers.create, params,
                         {"idempotency_key": idempotency_key})
        return obj["id"]

    def create_checkout_session(self, params: dict[str, Any], idempotency_key: str) -> CheckoutSession:
        obj = self._call("checkout.sessions.create", self.client.v1.checkout.sessions.create, params,
                         {"idempotency_key": idempotency_key})
        return CheckoutSession(id=obj["id"], url=obj.get("url"), expires_at=_ts(obj.get("expires_at")))

    def create_portal_session(self, customer_id: str, return_url: str, idempotency_key: str) -> str:
        obj = self._call("billing_portal.sessions.create", self.client.v1.billing_portal.sessions.create,
                         {"customer": customer_id, "return_url": return_url}, {"idempotency_key": idempotency_key})
        return obj["url"]

    def retrieve_subscription(self, subscription_id: str) -> StripeSubscription:
        obj = self._call("subscriptions.retrieve", self.client.v1.subscriptions.retrieve, subscription_id)
        return StripeSubscription.from_stripe(obj)

    def update_subscription(self, subscription_id: str, params: dict[str, Any],
                            idempotency_key: str) -> StripeSubscription:
        obj = self._call("subscriptions.update", self.client.v1.subscriptions.update, subscription_id, params,
                         {"idempotency_key": idempotency_key})
        return StripeSubscription.from_stripe(obj)

    def cancel_subscription(self, subscription_id: str) -> StripeSubscription:
        obj = self._call("subscriptions.cancel", self.client.v1.subscriptions.cancel, subscription_id)
        return StripeSubscription.from_stripe(obj)

    def ping(self) -> None:
        self._call("prices.list", self.client.v1.prices.list, {"limit": 1})


@lru_cache(maxsize=1)
def stripe_gateway() -> StripeGateway:
    """The configured gateway (cached per cold start; ``reset_settings`` forgets it)."""
    s = billing_settings()
    keys = stripe_keys()
    if not keys["api_key"]:
        raise LilyError(ErrorCode.SYSTEM_003, "Stripe is not configured", {"missing": "stripe api_key"})
    return StripeClientGateway(keys["api_key"], s.stripe_api_base, s.stripe_timeout_s)


on_reset(stripe_gateway.cache_clear)
