"""Subscriptions, prices and events: ``GET|POST|DELETE /v1/subscriptions/{id}``, ``GET /v1/prices[/{id}]``,
``GET /v1/events[/{id}]``; and the test controls (not Stripe): ``GET /_sandbox/outbox``,
``POST /_sandbox/subscriptions/{id}/payment_failed|payment_succeeded|advance|trial_will_end``,
``GET /_sandbox/health``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from lily.local.sandboxes.stripe.calls import call
from lily.local.sandboxes.stripe.lifecycle import StripeState
from lily.local.sandboxes.stripe.wire import StripeApiError, as_bool, list_page, missing

CONTROLS = ("payment_failed", "payment_succeeded", "advance", "trial_will_end")


def router(state: StripeState) -> APIRouter:
    api = APIRouter()

    @api.get("/v1/subscriptions/{sub_id}")
    async def get_subscription(sub_id: str, request: Request):
        return await call(state, request, lambda p: state.subscription(sub_id))

    @api.post("/v1/subscriptions/{sub_id}")
    async def update_subscription(sub_id: str, request: Request):
        return await call(state, request, lambda p: state.update_subscription(sub_id, p))

    @api.delete("/v1/subscriptions/{sub_id}")
    async def cancel_subscription(sub_id: str, request: Request):
        return await call(state, request, lambda p: state.cancel_now(sub_id))

    @api.get("/v1/prices")
    async def list_prices(request: Request):
        def do(p: dict) -> dict:
            prices = [x for x in state.prices.values() if "active" not in p or x["active"] == as_bool(p["active"])]
            if p.get("lookup_keys"):
                keys = p["lookup_keys"] if isinstance(p["lookup_keys"], list) else [p["lookup_keys"]]
                prices = [x for x in prices if x["lookup_key"] in keys]
            return list_page(prices, p, "price", "/v1/prices")
        return await call(state, request, do)

    @api.get("/v1/prices/{price_id}")
    async def get_price(price_id: str, request: Request):
        return await call(state, request, lambda p: state.price(price_id, "price"))

    @api.get("/v1/events")
    async def list_events(request: Request):
        def do(p: dict) -> dict:
            types = p.get("types") or ([p["type"]] if p.get("type") else None)
            events = [e for e in reversed(state.events) if not types or e["type"] in types]
            return list_page(events, p, "event", "/v1/events")
        return await call(state, request, do)

    @api.get("/v1/events/{event_id}")
    async def get_event(event_id: str, request: Request):
        def do(p: dict) -> dict:
            for e in state.events:
                if e["id"] == event_id:
                    return e
            raise missing("event", event_id)
        return await call(state, request, do)

    @api.get("/_sandbox/outbox")
    def outbox() -> list[dict]:
        """Undelivered signed events (taken: each is returned once)."""
        return [{"body": body.decode(), "headers": headers} for body, headers in state.take_outbox()]

    @api.post("/_sandbox/subscriptions/{sub_id}/{action}")
    def control(sub_id: str, action: str):
        if action not in CONTROLS:
            return JSONResponse({"error": {"message": f"unknown action {action}"}}, status_code=404)
        with state.lock:
            try:
                return getattr(state, action)(sub_id)
            except StripeApiError as exc:
                return exc.response()

    @api.get("/_sandbox/health")
    def health() -> dict:
        return {"status": "ok", "subscriptions": len(state.subscriptions), "events": len(state.events)}

    return api
