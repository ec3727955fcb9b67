"""A local Stripe: the subset of the v1 API Lily uses, a hosted checkout page and signed webhooks.

Speaks Stripe's wire format (``reference/platform-apis.md`` §4): form-encoded bodies with bracket
notation, ``Authorization: Bearer sk_...``, ``Idempotency-Key`` (first result replayed; the same key
with other parameters is an ``idempotency_error``), Stripe-shaped objects and error bodies
(``{"error": {"type", "code", "message", "param"}}``), subscription periods on the items.

- ``POST /v1/customers``, ``GET /v1/customers/{id}``
- ``POST /v1/checkout/sessions`` (mode=subscription, line_items, subscription_data.trial_period_days,
  metadata, client_reference_id, success_url, cancel_url), ``GET /v1/checkout/sessions/{id}``,
  ``POST /v1/checkout/sessions/{id}/expire``
- ``POST /v1/billing_portal/sessions``
- ``GET|POST|DELETE /v1/subscriptions/{id}`` (cancel_at_period_end, items[{id, price, deleted}],
  proration_behavior, metadata)
- ``GET /v1/prices``, ``GET /v1/prices/{id}``, ``GET /v1/events``, ``GET /v1/events/{id}``

Lists page as Stripe's do (``limit`` 1-100, ``starting_after`` / ``ending_before``, ``has_more``), so the
``stripe`` library's ``auto_paging_iter()`` ends; ``expand[]`` replaces ids with their objects on every
route (unexpandable paths are refused); an unknown route or method is Stripe's 404
``Unrecognized request URL`` in Stripe's error body.

Hosted pages: ``GET /checkout/{session_id}`` *completes the payment* (a test card that always
succeeds; ``?decline=1`` declines it) and creates the subscription (trialing when the session asked
for a trial); ``GET /portal/{id}`` shows the customer's subscriptions.

Webhooks: every change emits the events Stripe would (``customer.subscription.created|updated|
deleted|trial_will_end``, ``checkout.session.completed``, ``invoice.created|paid|payment_failed``),
signed exactly as Stripe signs them (``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
"{t}.{body}">``). They are POSTed to ``webhook_url`` (local mode: ``{LILY_PUBLIC_BASE_URL}/webhooks/stripe``)
from a background thread with retries, or, with no URL, kept in an outbox that tests take and
POST themselves (``sandbox.state.take_outbox()`` or ``GET /_sandbox/outbox``).

Test controls (not Stripe): ``POST /_sandbox/subscriptions/{id}/payment_failed``,
``.../payment_succeeded``, ``.../advance`` (end the current period or trial: renew, or cancel when
set to cancel at period end), ``.../trial_will_end``.

Modules: :mod:`.wire` (format, errors, lists), :mod:`.state` (objects, events, expand), :mod:`.calls` (key,
idempotency), :mod:`.lifecycle` (subscriptions), routes in :mod:`.checkout` and :mod:`.subscriptions`.
"""

from __future__ import annotations

import json
import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lily.local.sandboxes.kit import Sandbox, local_secret, start_platform
from lily.local.sandboxes.stripe import checkout, subscriptions
from lily.local.sandboxes.stripe.lifecycle import StripeState
from lily.local.sandboxes.stripe.wire import StripeApiError, parse_form

__all__ = ["StripeState", "create_app", "local_keys", "parse_form", "start"]


def local_keys() -> dict[str, str]:
    """The keys local mode provisions in Secrets Manager (``lily.local.secret_values``)."""
    return local_secret("stripe")


def price_catalog() -> dict[str, dict]:
    """Prices for Lily's catalog, as an operator would have created them in the Stripe dashboard."""
    from lily.billing.plans import PLAN_ORDER

    prices = {}
    for plan in PLAN_ORDER:
        for p in plan.prices:
            pid = f"price_lily_{plan.plan_id}_{p.interval}"
            prices[pid] = {
                "id": pid, "object": "price", "active": True, "currency": p.currency, "livemode": False,
                "lookup_key": f"{plan.plan_id}_{p.interval}", "nickname": f"{plan.name} ({p.interval}ly)",
                "product": f"prod_lily_{plan.plan_id}", "type": "recurring", "unit_amount": p.amount_cents,
                "recurring": {"interval": p.interval, "interval_count": 1, "usage_type": "licensed"},
                "metadata": {"plan_id": plan.plan_id},
            }
    return prices


def create_app(state: StripeState) -> FastAPI:
    app = FastAPI(title="Local Stripe sandbox", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(StripeApiError)
    async def _stripe_error(request: Request, exc: StripeApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _unrecognized(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Stripe answers a path (or a method on a path) it does not serve with a 404 in its error shape."""
        if exc.status_code not in (404, 405):
            return JSONResponse({"error": {"type": "api_error", "message": str(exc.detail)}}, exc.status_code)
        return StripeApiError(
            404, "invalid_request_error",
            f"Unrecognized request URL ({request.method}: {request.url.path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.").response()

    for module in (checkout, subscriptions):
        app.include_router(module.router(state))
    return app


_FROM_ENV = "env"


def start(webhook_url: str | None = _FROM_ENV, port: int | None = None) -> Sandbox[StripeState]:
    """Start the sandbox on a loopback port.

    ``webhook_url``: where to POST signed events; by default ``{LILY_PUBLIC_BASE_URL}/webhooks/stripe``
    (``LILY_STRIPE_SANDBOX_WEBHOOK_URL`` overrides; an empty value or ``None`` keeps them in the outbox).
    """
    keys = local_keys()
    if webhook_url == _FROM_ENV:
        webhook_url = os.environ.get("LILY_STRIPE_SANDBOX_WEBHOOK_URL")
        if webhook_url is None and os.environ.get("LILY_PUBLIC_BASE_URL"):
            webhook_url = os.environ["LILY_PUBLIC_BASE_URL"].rstrip("/") + "/webhooks/stripe"
    state = StripeState(api_key=keys["api_key"], webhook_secret=keys["webhook_secret"],
                        webhook_url=webhook_url or None, prices=price_catalog())
    prices = {f"{p['metadata']['plan_id']}:{p['recurring']['interval']}": pid for pid, p in state.prices.items()}
    return start_platform("stripe", create_app(state), state, lambda base: {
        "LILY_STRIPE_API_BASE": base, "LILY_STRIPE_PRICES": json.dumps(prices),
    }, port=port)
