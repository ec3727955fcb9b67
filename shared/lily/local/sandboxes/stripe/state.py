"""The Stripe sandbox's store (:class:`.lifecycle.StripeState` adds what Stripe does with it): the objects it
holds, the events it emits (signed as Stripe signs them and POSTed to ``webhook_url`` with retries, or kept in
the outbox), ``expand[]``, and the lookups that answer Stripe's 404."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from lily.local.sandboxes.stripe.wire import API_VERSION, StripeApiError, invalid, missing, new_id, now


@dataclass
class StripeStore:
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
        t = now() if timestamp is None else timestamp
        mac = hmac.new(self.webhook_secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
        return f"t={t},v1={mac}"

    def emit(self, type_: str, obj: dict, previous: dict | None = None, request: dict | None = None) -> dict:
        event = {
            "id": new_id("evt"), "object": "event", "api_version": API_VERSION, "created": now(),
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
        """Undelivered signed events, each returned once."""
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
                raise invalid(f"You cannot expand more than 4 levels of a property. Property: {path}", param="expand")
            self._expand(obj, parts, path)
        return obj

    def _expand(self, node: Any, parts: list[str], path: str) -> None:
        def refuse() -> StripeApiError:
            return invalid(f"This property cannot be expanded ({path}).", param="expand")

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

    # ------------------------------------------------------------ lookups

    def price(self, price_id: str, param: str) -> dict:
        if price_id not in self.prices:
            raise missing("price", price_id, param)
        return self.prices[price_id]

    def customer(self, customer_id: str, param: str = "customer") -> dict:
        if customer_id not in self.customers:
            raise missing("customer", customer_id, param)
        return self.customers[customer_id]

    def subscription(self, sub_id: str) -> dict:
        if sub_id not in self.subscriptions:
            raise missing("subscription", sub_id)
        return self.subscriptions[sub_id]
