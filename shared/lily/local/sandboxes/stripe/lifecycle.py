"""A subscription's life as Stripe leads it, with the events each step emits: created by a completed checkout
(trialing when asked), updated (cancel at period end, items, metadata), renewed or cancelled at the end of a
period, paid or past due; each charge an invoice (``invoice.created`` then ``paid`` or ``payment_failed``)."""

from __future__ import annotations

import json
from typing import Any

from lily.local.sandboxes.stripe.state import StripeStore
from lily.local.sandboxes.stripe.wire import add_months, as_bool, invalid, missing, new_id, now, required


def _item(sub_id: str, price: dict, start: int, end: int) -> dict:
    return {"id": new_id("si"), "object": "subscription_item", "created": start, "metadata": {},
            "price": price, "quantity": 1, "subscription": sub_id,
            "current_period_start": start, "current_period_end": end}


def _period_end(price: dict, start: int) -> int:
    recurring = price["recurring"]
    months = recurring["interval_count"] * (12 if recurring["interval"] == "year" else 1)
    return add_months(start, months)


class StripeState(StripeStore):
    """The store, and what Stripe does to its subscriptions (the routes and the test controls call these)."""

    def invoice(self, sub: dict, paid: bool, reason: str) -> dict:
        amount = 0 if sub["status"] == "trialing" else sum(
            i["price"]["unit_amount"] * i["quantity"] for i in sub["items"]["data"])
        inv = {
            "id": new_id("in"), "object": "invoice", "customer": sub["customer"], "created": now(),
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
            raise missing("checkout.session", session_id)
        if session["status"] != "open":
            return session
        data = self.session_subscription_data[session_id]
        start = now()
        sub_id = new_id("sub")
        trial_days = int(data.get("trial_period_days") or 0)
        price = self.prices[data["price"]]
        trial_end = start + trial_days * 86400 if trial_days else None
        end = trial_end or _period_end(price, start)
        sub = {
            "id": sub_id, "object": "subscription", "customer": session["customer"], "created": start,
            "start_date": start, "billing_cycle_anchor": end if trial_end else start, "status":
            "trialing" if trial_days else "active", "cancel_at_period_end": False, "cancel_at": None,
            "canceled_at": None, "ended_at": None, "trial_start": start if trial_days else None,
            "trial_end": trial_end, "collection_method": "charge_automatically", "currency": "usd",
            "livemode": False, "metadata": dict(data.get("metadata") or {}), "latest_invoice": None,
            "items": {"object": "list", "data": [_item(sub_id, price, start, end)], "has_more": False,
                      "url": f"/v1/subscription_items?subscription={sub_id}"},
        }
        self.subscriptions[sub_id] = sub
        self.emit("customer.subscription.created", sub)
        self.invoice(sub, paid=True, reason="subscription_create")
        session.update({"status": "complete", "payment_status": "no_payment_required" if trial_days else "paid",
                        "subscription": sub_id, "url": None})
        self.emit("checkout.session.completed", session)
        return session

    def _change_items(self, sub: dict, items: list[dict]) -> None:
        data = sub["items"]["data"]
        for i, change in enumerate(items):
            if change.get("id"):
                item = next((x for x in data if x["id"] == change["id"]), None)
                if item is None:
                    raise missing("subscription_item", change["id"], f"items[{i}][id]")
                if as_bool(change.get("deleted", "false")):
                    data.remove(item)
                    continue
                if "price" in change:
                    item["price"] = self.price(change["price"], f"items[{i}][price]")
                    item["quantity"] = int(change.get("quantity", 1))  # a price change resets quantity
                elif "quantity" in change:
                    item["quantity"] = int(change["quantity"])
            else:  # no id: a new item is added (Stripe's rule)
                if "price" not in change:
                    raise required(f"items[{i}][price]")
                first = data[0] if data else None
                start = first["current_period_start"] if first else now()
                end = first["current_period_end"] if first else _period_end(
                    self.price(change["price"], f"items[{i}][price]"), start)
                item = _item(sub["id"], self.price(change["price"], f"items[{i}][price]"), start, end)
                item["quantity"] = int(change.get("quantity", 1))
                data.append(item)
        if len(data) > 20:
            raise invalid("A subscription can have at most 20 items.")

    def update_subscription(self, sub_id: str, params: dict) -> dict:
        sub = self.subscription(sub_id)
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise invalid("A canceled subscription can only update its cancellation_details and metadata.")
        previous: dict[str, Any] = {}
        if "cancel_at_period_end" in params:
            value = as_bool(params["cancel_at_period_end"])
            if value != sub["cancel_at_period_end"]:
                previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
                previous["cancel_at"] = sub["cancel_at"]
                sub["cancel_at_period_end"] = value
                sub["cancel_at"] = sub["items"]["data"][0]["current_period_end"] if value else None
                sub["canceled_at"] = now() if value else None
        if "items" in params:
            previous["items"] = json.loads(json.dumps(sub["items"]))
            self._change_items(sub, params["items"] if isinstance(params["items"], list) else [params["items"]])
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
        at = now()
        previous = {"status": sub["status"]}
        sub.update({"status": "canceled", "ended_at": at, "canceled_at": sub["canceled_at"] or at})
        self.emit("customer.subscription.deleted", sub, previous)
        return sub

    # ------------------------------------------------------------ test controls

    def _charge(self, sub_id: str, paid: bool) -> dict:
        sub = self.subscription(sub_id)
        previous = {"status": sub["status"]}
        sub["status"] = "active" if paid else "past_due"
        self.emit("customer.subscription.updated", sub, previous)
        self.invoice(sub, paid=paid, reason="subscription_cycle")
        return sub

    def payment_failed(self, sub_id: str) -> dict:
        return self._charge(sub_id, paid=False)

    def payment_succeeded(self, sub_id: str) -> dict:
        return self._charge(sub_id, paid=True)

    def advance(self, sub_id: str) -> dict:
        """End the current period (or trial): cancel if set to, otherwise renew and charge."""
        sub = self.subscription(sub_id)
        if sub["cancel_at_period_end"]:
            return self.cancel_now(sub_id)
        previous = {"status": sub["status"], "items": json.loads(json.dumps(sub["items"]))}
        for item in sub["items"]["data"]:
            start = item["current_period_end"]
            item["current_period_start"] = start
            item["current_period_end"] = _period_end(item["price"], start)
        sub["status"] = "active"
        self.emit("customer.subscription.updated", sub, previous)
        self.invoice(sub, paid=True, reason="subscription_cycle")
        return sub

    def trial_will_end(self, sub_id: str) -> dict:
        sub = self.subscription(sub_id)
        self.emit("customer.subscription.trial_will_end", sub)
        return sub
