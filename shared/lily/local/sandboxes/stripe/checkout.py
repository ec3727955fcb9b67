"""Customers, Checkout and the billing portal: ``/v1/customers``, ``/v1/checkout/sessions`` (create, read,
expire), ``/v1/billing_portal/sessions``, and the hosted pages: ``GET /checkout/{id}`` *completes the payment*
(a test card that always succeeds; ``?decline=1`` declines it), ``GET /portal/{id}`` lists the subscriptions."""

from __future__ import annotations

import secrets
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lily.local.sandboxes.stripe.calls import call
from lily.local.sandboxes.stripe.lifecycle import StripeState
from lily.local.sandboxes.stripe.wire import invalid, missing, new_id, now, required


def new_session(state: StripeState, p: dict) -> dict:
    mode = p.get("mode")
    if mode not in ("payment", "setup", "subscription"):
        raise required("mode") if mode is None else invalid(f"Invalid mode: {mode}", "parameter_invalid_string",
                                                              "mode")
    items = p.get("line_items") or []
    if mode == "subscription" and not items:
        raise required("line_items")
    ui_mode = p.get("ui_mode", "hosted_page")
    if ui_mode in ("hosted_page", "hosted") and not p.get("success_url"):
        raise required("success_url")
    customer = p.get("customer")
    if customer:
        state.customer(customer)
    price_id = items[0].get("price") if items else None
    if not price_id:
        raise required("line_items[0][price]")
    price = state.price(price_id, "line_items[0][price]")
    sub_data = p.get("subscription_data") or {}
    trial = sub_data.get("trial_period_days")
    if trial is not None and int(trial) < 1:
        raise invalid("trial_period_days must be at least 1", "parameter_invalid_integer",
                      "subscription_data[trial_period_days]")
    sid = "cs_test_" + secrets.token_hex(24)
    created = now()
    session = {
        "id": sid, "object": "checkout.session", "mode": mode, "status": "open",
        "payment_status": "unpaid", "customer": customer, "customer_email": p.get("customer_email"),
        "client_reference_id": p.get("client_reference_id"), "metadata": p.get("metadata") or {},
        "success_url": p.get("success_url"), "cancel_url": p.get("cancel_url"),
        "url": f"{state.base_url}/checkout/{sid}", "subscription": None, "created": created,
        "expires_at": int(p.get("expires_at") or created + 86400), "livemode": False, "currency": "usd",
        "amount_total": 0 if trial else price["unit_amount"], "ui_mode": ui_mode,
    }
    state.sessions[sid] = session
    state.session_subscription_data[sid] = {"price": price_id, **sub_data}
    return session


def router(state: StripeState) -> APIRouter:
    api = APIRouter()

    @api.post("/v1/customers")
    async def create_customer(request: Request):
        def do(p: dict) -> dict:
            cus = {"id": new_id("cus"), "object": "customer", "created": now(), "email": p.get("email"),
                   "name": p.get("name"), "description": p.get("description"),
                   "metadata": p.get("metadata") or {}, "livemode": False, "delinquent": False}
            state.customers[cus["id"]] = cus
            return cus
        return await call(state, request, do)

    @api.get("/v1/customers/{customer_id}")
    async def get_customer(customer_id: str, request: Request):
        return await call(state, request, lambda p: state.customer(customer_id, "id"))

    @api.post("/v1/checkout/sessions")
    async def create_session(request: Request):
        return await call(state, request, lambda p: new_session(state, p))

    @api.get("/v1/checkout/sessions/{session_id}")
    async def get_session(session_id: str, request: Request):
        def do(p: dict) -> dict:
            if session_id not in state.sessions:
                raise missing("checkout.session", session_id, "session")
            return state.sessions[session_id]
        return await call(state, request, do)

    @api.post("/v1/checkout/sessions/{session_id}/expire")
    async def expire_session(session_id: str, request: Request):
        def do(p: dict) -> dict:
            session = state.sessions.get(session_id)
            if session is None:
                raise missing("checkout.session", session_id, "session")
            if session["status"] != "open":
                raise invalid("Only open sessions can be expired.")
            session.update({"status": "expired", "url": None})
            state.emit("checkout.session.expired", session)
            return session
        return await call(state, request, do)

    @api.api_route("/checkout/{session_id}", methods=["GET", "POST"], response_class=HTMLResponse)
    def hosted_checkout(session_id: str, decline: int = 0) -> HTMLResponse:
        with state.lock:
            session = state.sessions.get(session_id)
            if session is None or session["status"] == "expired" or session["expires_at"] < now():
                return HTMLResponse("<h1>This checkout session has expired.</h1>", status_code=404)
            if decline:
                return HTMLResponse("<h1>Your card was declined.</h1><p>Nothing was charged.</p>", status_code=402)
            session = state.complete_checkout(session_id)
            target = (session.get("success_url") or "").replace("{CHECKOUT_SESSION_ID}", session_id)
        return HTMLResponse(
            "<!doctype html><html><head><meta charset='utf-8'><title>Payment complete</title>"
            f"<meta http-equiv='refresh' content='2;url={escape(target)}'></head><body>"
            f"<h1>Payment complete</h1><p>Subscription <code>{escape(session['subscription'])}</code> created "
            "with the local Stripe sandbox (test card, nothing charged).</p>"
            f"<p><a href='{escape(target)}'>Back to Lily</a></p></body></html>")

    @api.post("/v1/billing_portal/sessions")
    async def create_portal(request: Request):
        def do(p: dict) -> dict:
            if not p.get("customer"):
                raise required("customer")
            state.customer(p["customer"])
            pid = new_id("bps")
            portal = {"id": pid, "object": "billing_portal.session", "created": now(), "customer": p["customer"],
                      "return_url": p.get("return_url"), "livemode": False, "locale": p.get("locale"),
                      "url": f"{state.base_url}/portal/{pid}", "configuration": "bpc_local", "flow": None}
            state.portal_sessions[pid] = portal
            return portal
        return await call(state, request, do)

    @api.get("/portal/{portal_id}", response_class=HTMLResponse)
    def hosted_portal(portal_id: str) -> HTMLResponse:
        with state.lock:
            portal = state.portal_sessions.get(portal_id)
            if portal is None:
                return HTMLResponse("<h1>Not found</h1>", status_code=404)
            subs = [s for s in state.subscriptions.values() if s["customer"] == portal["customer"]]
        rows = "".join(f"<li><code>{escape(s['id'])}</code> {escape(s['status'])}"
                       f"{' (cancels at period end)' if s['cancel_at_period_end'] else ''}</li>" for s in subs)
        return HTMLResponse(f"<!doctype html><h1>Billing</h1><ul>{rows}</ul>"
                            f"<a href='{escape(portal.get('return_url') or '')}'>Return</a>")

    return api
