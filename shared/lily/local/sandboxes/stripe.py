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
POST themselves (``StripeSandbox.take_outbox()`` or ``GET /_sandbox/outbox``).

Test controls (not Stripe): ``POST /_sandbox/subscriptions/{id}/payment_failed``,
``.../payment_succeeded``, ``.../advance`` (end the current period or trial: renew, or cancel when
set to cancel at period end), ``.../trial_will_end``.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lily.core import clock
from lily.local.sandboxes import Sandbox
from lily.local.serve import ThreadedServer

API_VERSION = "2026-10-28.endive"


def local_keys() -> dict[str, str]:
    """The keys local mode provisions in Secrets Manager (``lily.local.secret_values``)."""
    from lily.local.secret_values import local_value

    return local_value("stripe")


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _now() -> int:
    return int(clock.now_ts())


def _add_months(ts: int, months: int) -> int:
    dt = datetime.fromtimestamp(ts, tz=UTC)
    month = dt.month - 1 + months
    year, month = dt.year + month // 12, month % 12 + 1
    day = min(dt.day, calendar.monthrange(year, month)[1])
    return int(dt.replace(year=year, month=month, day=day).timestamp())


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket notation (``line_items[0][price]=x``, ``metadata[k]=v``) → nested dicts/lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head] + ([p.rstrip("]") for p in ("[" + rest).split("[")[1:]] if rest else [])
        node: Any = root
        for i, part in enumerate(parts):
            if part == "":  # ``expand[]=a&expand[]=b``: the next free index
                part = str(len(node))
            if i == len(parts) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def _bool(value: Any) -> bool:
    return str(value).lower() == "true"


class StripeApiError(Exception):
    def __init__(self, status: int, type_: str, message: str, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status, self.type, self.message, self.code, self.param = status, type_, message, code, param

    def response(self) -> JSONResponse:
        body = {"error": {"type": self.type, "message": self.message}}
        if self.code:
            body["error"]["code"] = self.code
            body["error"]["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            body["error"]["param"] = self.param
        return JSONResponse(body, status_code=self.status, headers={"Request-Id": _id("req")})


def _missing(kind: str, oid: str, param: str = "id") -> StripeApiError:
    return StripeApiError(404, "invalid_request_error", f"No such {kind}: '{oid}'", "resource_missing", param)


def _limit(params: dict) -> int:
    raw = params.get("limit", "10")
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise StripeApiError(400, "invalid_request_error", f"Invalid integer: {raw}", "parameter_invalid_integer",
                             "limit") from None
    if not 1 <= limit <= 100:
        raise StripeApiError(400, "invalid_request_error",
                             "This value must be greater than or equal to 1 and less than or equal to 100.",
                             "parameter_invalid_integer", "limit")
    return limit


def list_page(items: list[dict], params: dict, kind: str, url: str) -> dict:
    """One page of a list endpoint: ``limit`` (1-100, default 10), then ``starting_after`` (the page after
    that object) or ``ending_before`` (the page before it); ``has_more`` says whether more lie that way."""
    limit = _limit(params)
    after, before = params.get("starting_after"), params.get("ending_before")
    if after and before:
        raise StripeApiError(400, "invalid_request_error",
                             "You may only specify one of these parameters: ending_before, starting_after.")
    ids = [o["id"] for o in items]
    for param, cursor in (("starting_after", after), ("ending_before", before)):
        if cursor and cursor not in ids:
            raise _missing(kind, cursor, param)
    if after:
        rest = items[ids.index(after) + 1:]
        data, has_more = rest[:limit], len(rest) > limit
    elif before:
        rest = items[:ids.index(before)]
        data, has_more = rest[-limit:], len(rest) > limit
    else:
        data, has_more = items[:limit], len(items) > limit
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def _required(param: str) -> StripeApiError:
    return StripeApiError(400, "invalid_request_error", f"Missing required param: {param}.",
                          "parameter_missing", param)


@dataclass
class StripeSandbox(Sandbox):
    """The sandbox handle: its state, for tests (``take_outbox``) and controls."""

    state: StripeState | None = None

    def take_outbox(self) -> list[tuple[bytes, dict[str, str]]]:
        assert self.state is not None
        return self.state.take_outbox()


@dataclass
class StripeState:
    api_key: str
    webhook_secret: str
    base_url: str = ""
    webhook_url: str | None = None
    prices: dict[str, dict] = field(default_factory=dict)
    customers: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    session_subscription_data: dict[str, dict] = field(default_factory=dict)
    subscriptions: dict[str, dict] = field(default_factory=dict)
    invoices: dict[str, dict] = field(default_factory=dict)
    portal_sessions: dict[str, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    outbox: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    idempotency: dict[str, tuple[str, int, dict]] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # ------------------------------------------------------------ events

    def sign(self, payload: bytes, timestamp: int | None = None) -> str:
        t = _now() if timestamp is None else timestamp
        mac = hmac.new(self.webhook_secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
        return f"t={t},v1={mac}"

    def emit(self, type_: str, obj: dict, previous: dict | None = None, request: dict | None = None) -> dict:
        event = {
            "id": _id("evt"), "object": "event", "api_version": API_VERSION, "created": _now(),
            "data": {"object": json.loads(json.dumps(obj))}, "livemode": False, "pending_webhooks": 1,
            "request": request or {"id": None, "idempotency_key": None}, "type": type_,
        }
        if previous:
            event["data"]["previous_attributes"] = previous
        self.events.append(event)
        payload = json.dumps(event, indent=2).encode()  # Stripe sends pretty-printed JSON
        if self.webhook_url:
            threading.Thread(target=self._deliver, args=(payload,), daemon=True,
                             name=f"stripe-webhook-{event['id']}").start()
        else:
            self.outbox.append((payload, self._headers(payload)))
        return event

    def _headers(self, payload: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": self.sign(payload),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}

    def _deliver(self, payload: bytes) -> None:
        import httpx

        for attempt in range(4):
            try:
                r = httpx.post(self.webhook_url or "", content=payload, headers=self._headers(payload), timeout=10)
                if r.status_code < 300:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5 * (2 ** attempt))
        with self.lock:
            self.outbox.append((payload, self._headers(payload)))

    def take_outbox(self) -> list[tuple[bytes, dict[str, str]]]:
        with self.lock:
            out, self.outbox = self.outbox, []
            return out

    # ------------------------------------------------------------ expand

    def expand(self, obj: dict, paths: list[str] | dict | str | None) -> dict:
        """Stripe's ``expand[]``: replace the id at each dotted path with the object it names (lists are
        walked through ``data``); a path that names no expandable id is an ``invalid_request_error``."""
        if isinstance(paths, str):
            paths = [paths]
        for path in (paths or []):
            parts = path.split(".")
            if len([p for p in parts if p != "data"]) > 4:
                raise StripeApiError(400, "invalid_request_error",
                                     f"You cannot expand more than 4 levels of a property. Property: {path}",
                                     param="expand")
            self._expand(obj, parts, path)
        return obj

    def _expand(self, node: Any, parts: list[str], path: str) -> None:
        def refuse() -> StripeApiError:
            return StripeApiError(400, "invalid_request_error", f"This property cannot be expanded ({path}).",
                                  param="expand")

        if isinstance(node, list):
            for item in node:
                self._expand(item, parts, path)
            return
        key, rest = parts[0], parts[1:]
        if not isinstance(node, dict) or key not in node:
            raise refuse()
        value = node[key]
        if isinstance(value, str):
            value = self._by_id(value)
            if value is None:
                raise refuse()
            node[key] = value = json.loads(json.dumps(value))
        elif isinstance(value, list) and not rest:
            raise refuse()
        if rest and value is not None:
            self._expand(value, rest, path)

    def _by_id(self, oid: str) -> dict | None:
        tables = {"cus_": self.customers, "sub_": self.subscriptions, "in_": self.invoices, "price_": self.prices,
                  "cs_": self.sessions, "bps_": self.portal_sessions}
        for prefix, table in tables.items():
            if oid.startswith(prefix):
                return table.get(oid)
        return None

    # ------------------------------------------------------------ objects

    def price(self, price_id: str, param: str) -> dict:
        if price_id not in self.prices:
            raise _missing("price", price_id, param)
        return self.prices[price_id]

    def customer(self, customer_id: str, param: str = "customer") -> dict:
        if customer_id not in self.customers:
            raise _missing("customer", customer_id, param)
        return self.customers[customer_id]

    def subscription(self, sub_id: str) -> dict:
        if sub_id not in self.subscriptions:
            raise _missing("subscription", sub_id)
        return self.subscriptions[sub_id]

    def _item(self, sub_id: str, price: dict, start: int, end: int) -> dict:
        return {"id": _id("si"), "object": "subscription_item", "created": start, "metadata": {},
                "price": price, "quantity": 1, "subscription": sub_id,
                "current_period_start": start, "current_period_end": end}

    def _period_end(self, price: dict, start: int) -> int:
        recurring = price["recurring"]
        months = recurring["interval_count"] * (12 if recurring["interval"] == "year" else 1)
        return _add_months(start, months)

    def invoice(self, sub: dict, paid: bool, reason: str) -> dict:
        amount = 0 if sub["status"] == "trialing" else sum(
            i["price"]["unit_amount"] * i["quantity"] for i in sub["items"]["data"])
        inv = {
            "id": _id("in"), "object": "invoice", "customer": sub["customer"], "created": _now(),
            "currency": "usd", "amount_due": amount, "amount_paid": amount if paid else 0,
            "amount_remaining": 0 if paid else amount, "billing_reason": reason, "livemode": False,
            "status": "paid" if paid else "open", "attempt_count": 1, "paid": paid,
            "parent": {"type": "subscription_details", "quote_details": None,
                       "subscription_details": {"subscription": sub["id"], "metadata": sub["metadata"]}},
            "lines": {"object": "list", "data": [], "has_more": False},
        }
        self.invoices[inv["id"]] = inv
        sub["latest_invoice"] = inv["id"]
        self.emit("invoice.created", inv)
        self.emit("invoice.paid" if paid else "invoice.payment_failed", inv)
        return inv

    def complete_checkout(self, session_id: str) -> dict:
        session = self.sessions.get(session_id)
        if session is None:
            raise _missing("checkout.session", session_id)
        if session["status"] != "open":
            return session
        data = self.session_subscription_data[session_id]
        now = _now()
        sub_id = _id("sub")
        trial_days = int(data.get("trial_period_days") or 0)
        price = self.prices[data["price"]]
        trial_end = now + trial_days * 86400 if trial_days else None
        end = trial_end or self._period_end(price, now)
        sub = {
            "id": sub_id, "object": "subscription", "customer": session["customer"], "created": now,
            "start_date": now, "billing_cycle_anchor": end if trial_end else now, "status":
            "trialing" if trial_days else "active", "cancel_at_period_end": False, "cancel_at": None,
            "canceled_at": None, "ended_at": None, "trial_start": now if trial_days else None,
            "trial_end": trial_end, "collection_method": "charge_automatically", "currency": "usd",
            "livemode": False, "metadata": dict(data.get("metadata") or {}), "latest_invoice": None,
            "items": {"object": "list", "data": [self._item(sub_id, price, now, end)], "has_more": False,
                      "url": f"/v1/subscription_items?subscription={sub_id}"},
        }
        self.subscriptions[sub_id] = sub
        self.emit("customer.subscription.created", sub)
        self.invoice(sub, paid=True, reason="subscription_create")
        session.update({"status": "complete", "payment_status": "no_payment_required" if trial_days else "paid",
                        "subscription": sub_id, "url": None})
        self.emit("checkout.session.completed", session)
        return session

    def update_subscription(self, sub_id: str, params: dict) -> dict:
        sub = self.subscription(sub_id)
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise StripeApiError(400, "invalid_request_error",
                                 "A canceled subscription can only update its cancellation_details and metadata.")
        previous: dict[str, Any] = {}
        if "cancel_at_period_end" in params:
            value = _bool(params["cancel_at_period_end"])
            if value != sub["cancel_at_period_end"]:
                previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
                previous["cancel_at"] = sub["cancel_at"]
                sub["cancel_at_period_end"] = value
                sub["cancel_at"] = sub["items"]["data"][0]["current_period_end"] if value else None
                sub["canceled_at"] = _now() if value else None
        if "items" in params:
            items = params["items"] if isinstance(params["items"], list) else [params["items"]]
            previous["items"] = json.loads(json.dumps(sub["items"]))
            data = sub["items"]["data"]
            for i, change in enumerate(items):
                if change.get("id"):
                    item = next((x for x in data if x["id"] == change["id"]), None)
                    if item is None:
                        raise _missing("subscription_item", change["id"], f"items[{i}][id]")
                    if _bool(change.get("deleted", "false")):
                        data.remove(item)
                        continue
                    if "price" in change:
                        item["price"] = self.price(change["price"], f"items[{i}][price]")
                        item["quantity"] = int(change.get("quantity", 1))  # a price change resets quantity
                    elif "quantity" in change:
                        item["quantity"] = int(change["quantity"])
                else:  # no id: a new item is added (Stripe's rule)
                    if "price" not in change:
                        raise _required(f"items[{i}][price]")
                    first = data[0] if data else None
                    start = first["current_period_start"] if first else _now()
                    end = first["current_period_end"] if first else self._period_end(
                        self.price(change["price"], f"items[{i}][price]"), start)
                    item = self._item(sub_id, self.price(change["price"], f"items[{i}][price]"), start, end)
                    item["quantity"] = int(change.get("quantity", 1))
                    data.append(item)
            if len(data) > 20:
                raise StripeApiError(400, "invalid_request_error", "A subscription can have at most 20 items.")
        if "metadata" in params and isinstance(params["metadata"], dict):
            previous["metadata"] = dict(sub["metadata"])
            sub["metadata"].update(params["metadata"])
        if previous:
            self.emit("customer.subscription.updated", sub, previous)
        return sub

    def cancel_now(self, sub_id: str) -> dict:
        sub = self.subscription(sub_id)
        if sub["status"] == "canceled":
            return sub
        now = _now()
        previous = {"status": sub["status"]}
        sub.update({"status": "canceled", "ended_at": now, "canceled_at": sub["canceled_at"] or now})
        self.emit("customer.subscription.deleted", sub, previous)
        return sub

    # ------------------------------------------------------------ test controls

    def payment_failed(self, sub_id: str) -> dict:
        sub = self.subscription(sub_id)
        previous = {"status": sub["status"]}
        sub["status"] = "past_due"
        self.emit("customer.subscription.updated", sub, previous)
        self.invoice(sub, paid=False, reason="subscription_cycle")
        return sub

    def payment_succeeded(self, sub_id: str) -> dict:
        sub = self.subscription(sub_id)
        previous = {"status": sub["status"]}
        sub["status"] = "active"
        self.emit("customer.subscription.updated", sub, previous)
        self.invoice(sub, paid=True, reason="subscription_cycle")
        return sub

    def advance(self, sub_id: str) -> dict:
        """End the current period (or trial): cancel if set to, otherwise renew and charge."""
        sub = self.subscription(sub_id)
        if sub["cancel_at_period_end"]:
            return self.cancel_now(sub_id)
        previous = {"status": sub["status"], "items": json.loads(json.dumps(sub["items"]))}
        for item in sub["items"]["data"]:
            start = item["current_period_end"]
            item["current_period_start"] = start
            item["current_period_end"] = self._period_end(item["price"], start)
        sub["status"] = "active"
        self.emit("customer.subscription.updated", sub, previous)
        self.invoice(sub, paid=True, reason="subscription_cycle")
        return sub


def _price_catalog() -> dict[str, dict]:
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

    def authorize(request: Request) -> None:
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {state.api_key}":
            shown = auth[7:15] + "*" * 8 if auth.startswith("Bearer ") else ""
            raise StripeApiError(401, "invalid_request_error", f"Invalid API Key provided: {shown}")

    async def params_of(request: Request) -> dict:
        body = (await request.body()).decode()
        from urllib.parse import parse_qsl

        pairs = parse_qsl(body, keep_blank_values=True) + parse_qsl(request.url.query, keep_blank_values=True)
        return parse_form(pairs)

    async def call(request: Request, fn) -> JSONResponse:
        authorize(request)
        params = await params_of(request)
        key = request.headers.get("idempotency-key")
        fingerprint = json.dumps([request.method, request.url.path, params], sort_keys=True)
        with state.lock:
            state.requests.append({"method": request.method, "path": request.url.path, "params": params,
                                   "idempotency_key": key})
            if request.method == "POST" and key:
                if len(key) > 255:
                    raise StripeApiError(400, "invalid_request_error", "Idempotency keys are at most 255 characters")
                seen = state.idempotency.get(key)
                if seen is not None:
                    if seen[0] != fingerprint:
                        raise StripeApiError(
                            400, "idempotency_error",
                            f"Keys for idempotent requests can only be used with the same parameters they were "
                            f"first used with. Try using a key other than '{key}' if you meant to execute a "
                            f"different request.")
                    return JSONResponse(seen[2], status_code=seen[1],
                                        headers={"Idempotent-Replayed": "true", "Request-Id": _id("req")})
            try:
                result = fn(params)
                status = 200
            except StripeApiError as exc:
                if request.method == "POST" and key and exc.status >= 500:
                    state.idempotency[key] = (fingerprint, exc.status, json.loads(exc.response().body))
                raise
            body = state.expand(json.loads(json.dumps(result)), params.get("expand"))
            if request.method == "POST" and key:
                state.idempotency[key] = (fingerprint, status, body)
        return JSONResponse(body, status_code=status, headers={"Request-Id": _id("req")})

    # ------------------------------------------------------------ customers

    @app.post("/v1/customers")
    async def create_customer(request: Request):
        def do(p: dict) -> dict:
            cus = {"id": _id("cus"), "object": "customer", "created": _now(), "email": p.get("email"),
                   "name": p.get("name"), "description": p.get("description"),
                   "metadata": p.get("metadata") or {}, "livemode": False, "delinquent": False}
            state.customers[cus["id"]] = cus
            return cus
        return await call(request, do)

    @app.get("/v1/customers/{customer_id}")
    async def get_customer(customer_id: str, request: Request):
        return await call(request, lambda p: state.customer(customer_id, "id"))

    # ------------------------------------------------------------ checkout

    @app.post("/v1/checkout/sessions")
    async def create_session(request: Request):
        def do(p: dict) -> dict:
            mode = p.get("mode")
            if mode not in ("payment", "setup", "subscription"):
                raise _required("mode") if mode is None else StripeApiError(
                    400, "invalid_request_error", f"Invalid mode: {mode}", "parameter_invalid_string", "mode")
            items = p.get("line_items") or []
            if mode == "subscription" and not items:
                raise _required("line_items")
            ui_mode = p.get("ui_mode", "hosted_page")
            if ui_mode in ("hosted_page", "hosted") and not p.get("success_url"):
                raise _required("success_url")
            customer = p.get("customer")
            if customer:
                state.customer(customer)
            price_id = items[0].get("price") if items else None
            if not price_id:
                raise _required("line_items[0][price]")
            price = state.price(price_id, "line_items[0][price]")
            sub_data = p.get("subscription_data") or {}
            trial = sub_data.get("trial_period_days")
            if trial is not None and int(trial) < 1:
                raise StripeApiError(400, "invalid_request_error", "trial_period_days must be at least 1",
                                     "parameter_invalid_integer", "subscription_data[trial_period_days]")
            sid = "cs_test_" + secrets.token_hex(24)
            now = _now()
            session = {
                "id": sid, "object": "checkout.session", "mode": mode, "status": "open",
                "payment_status": "unpaid", "customer": customer, "customer_email": p.get("customer_email"),
                "client_reference_id": p.get("client_reference_id"), "metadata": p.get("metadata") or {},
                "success_url": p.get("success_url"), "cancel_url": p.get("cancel_url"),
                "url": f"{state.base_url}/checkout/{sid}", "subscription": None, "created": now,
                "expires_at": int(p.get("expires_at") or now + 86400), "livemode": False, "currency": "usd",
                "amount_total": 0 if trial else price["unit_amount"], "ui_mode": ui_mode,
            }
            state.sessions[sid] = session
            state.session_subscription_data[sid] = {"price": price_id, **sub_data}
            return session
        return await call(request, do)

    @app.get("/v1/checkout/sessions/{session_id}")
    async def get_session(session_id: str, request: Request):
        def do(p: dict) -> dict:
            if session_id not in state.sessions:
                raise _missing("checkout.session", session_id, "session")
            return state.sessions[session_id]
        return await call(request, do)

    @app.post("/v1/checkout/sessions/{session_id}/expire")
    async def expire_session(session_id: str, request: Request):
        def do(p: dict) -> dict:
            session = state.sessions.get(session_id)
            if session is None:
                raise _missing("checkout.session", session_id, "session")
            if session["status"] != "open":
                raise StripeApiError(400, "invalid_request_error", "Only open sessions can be expired.")
            session.update({"status": "expired", "url": None})
            state.emit("checkout.session.expired", session)
            return session
        return await call(request, do)

    @app.api_route("/checkout/{session_id}", methods=["GET", "POST"], response_class=HTMLResponse)
    def hosted_checkout(session_id: str, decline: int = 0) -> HTMLResponse:
        with state.lock:
            session = state.sessions.get(session_id)
            if session is None or session["status"] == "expired" or session["expires_at"] < _now():
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

    # ------------------------------------------------------------ portal

    @app.post("/v1/billing_portal/sessions")
    async def create_portal(request: Request):
        def do(p: dict) -> dict:
            if not p.get("customer"):
                raise _required("customer")
            state.customer(p["customer"])
            pid = _id("bps")
            portal = {"id": pid, "object": "billing_portal.session", "created": _now(), "customer": p["customer"],
                      "return_url": p.get("return_url"), "livemode": False, "locale": p.get("locale"),
                      "url": f"{state.base_url}/portal/{pid}", "configuration": "bpc_local", "flow": None}
            state.portal_sessions[pid] = portal
            return portal
        return await call(request, do)

    @app.get("/portal/{portal_id}", response_class=HTMLResponse)
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

    # ------------------------------------------------------------ subscriptions, prices, events

    @app.get("/v1/subscriptions/{sub_id}")
    async def get_subscription(sub_id: str, request: Request):
        return await call(request, lambda p: state.subscription(sub_id))

    @app.post("/v1/subscriptions/{sub_id}")
    async def update_subscription(sub_id: str, request: Request):
        return await call(request, lambda p: state.update_subscription(sub_id, p))

    @app.delete("/v1/subscriptions/{sub_id}")
    async def cancel_subscription(sub_id: str, request: Request):
        return await call(request, lambda p: state.cancel_now(sub_id))

    @app.get("/v1/prices")
    async def list_prices(request: Request):
        def do(p: dict) -> dict:
            prices = [x for x in state.prices.values() if "active" not in p or x["active"] == _bool(p["active"])]
            if p.get("lookup_keys"):
                keys = p["lookup_keys"] if isinstance(p["lookup_keys"], list) else [p["lookup_keys"]]
                prices = [x for x in prices if x["lookup_key"] in keys]
            return list_page(prices, p, "price", "/v1/prices")
        return await call(request, do)

    @app.get("/v1/prices/{price_id}")
    async def get_price(price_id: str, request: Request):
        return await call(request, lambda p: state.price(price_id, "price"))

    @app.get("/v1/events")
    async def list_events(request: Request):
        def do(p: dict) -> dict:
            types = p.get("types") or ([p["type"]] if p.get("type") else None)
            events = [e for e in reversed(state.events) if not types or e["type"] in types]
            return list_page(events, p, "event", "/v1/events")
        return await call(request, do)

    @app.get("/v1/events/{event_id}")
    async def get_event(event_id: str, request: Request):
        def do(p: dict) -> dict:
            for e in state.events:
                if e["id"] == event_id:
                    return e
            raise _missing("event", event_id)
        return await call(request, do)

    # ------------------------------------------------------------ sandbox controls

    @app.get("/_sandbox/outbox")
    def outbox() -> list[dict]:
        """Undelivered signed events (taken: each is returned once)."""
        return [{"body": body.decode(), "headers": headers} for body, headers in state.take_outbox()]

    @app.post("/_sandbox/subscriptions/{sub_id}/{action}")
    def control(sub_id: str, action: str):
        actions = {"payment_failed": state.payment_failed, "payment_succeeded": state.payment_succeeded,
                   "advance": state.advance,
                   "trial_will_end": lambda s: state.emit("customer.subscription.trial_will_end",
                                                          state.subscription(s)) and state.subscription(s)}
        if action not in actions:
            return JSONResponse({"error": {"message": f"unknown action {action}"}}, status_code=404)
        with state.lock:
            try:
                return actions[action](sub_id)
            except StripeApiError as exc:
                return exc.response()

    @app.get("/_sandbox/health")
    def health() -> dict:
        return {"status": "ok", "subscriptions": len(state.subscriptions), "events": len(state.events)}

    return app


_FROM_ENV = "env"


def start(webhook_url: str | None = _FROM_ENV, port: int | None = None) -> StripeSandbox:
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
                        webhook_url=webhook_url or None, prices=_price_catalog())
    server = ThreadedServer(create_app(state), port=port)
    state.base_url = server.base_url
    server.start()
    prices = {f"{p['metadata']['plan_id']}:{p['recurring']['interval']}": pid for pid, p in state.prices.items()}
    env = {"LILY_STRIPE_API_BASE": server.base_url, "LILY_STRIPE_PRICES": json.dumps(prices)}
    return StripeSandbox(name="stripe", base_url=server.base_url, env=env, server=server, state=state)
