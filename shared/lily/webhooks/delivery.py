"""The delivery worker's use case: one attempt of one delivery, its record, and what comes next.

1. The message names a delivery and its ``round``; a message of an earlier round (before a redelivery or replay),
   or for a delivery that is finished, is ignored. A ``failed`` delivery of this round raises :class:`ParkInDlq`, so
   its message keeps failing until SQS's redrive moves it to the DLQ.
2. A subscription that is gone or disabled: the delivery is ``skipped``.
3. A message that arrives before the delivery's ``next_attempt_at`` (SQS delays at most 15 minutes) is sent again
   with the time left.
4. The attempt is claimed with a conditional write (``round``, status, no live ``lease_until``), so two copies of a
   message never both call the receiver.
5. The call: POST the stored body, signed (:mod:`lily.webhooks.signing`), through :mod:`lily.core.safe_http` (the
   SSRF guard on the address connected to, no redirects, HTTPS only outside local mode, a total time limit).
6. A 2xx answer: ``delivered``. Anything else (an error status, a redirect, a time-out, a refused target): the
   attempt is logged and the next one is due ``backoff_base_s * 2**(n-1)`` later (capped at ``backoff_cap_s``)
   while that stays within ``retry_window_s`` (24 h) of the round's first attempt; after that the delivery is
   ``failed`` and its message goes to the DLQ.
7. Every attempt is logged on the delivery: when, status code, latency, the answer truncated, the error.
8. A subscription whose deliveries have failed without a success for ``disable_after_s`` (3 days) is disabled,
   once, with the reason as its notice (``disabled_reason``) and ``webhook_subscriptions_disabled_total``.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from aws_lambda_powertools.metrics import MetricUnit

from lily.core import clock, crypto, safe_http
from lily.core.db import won
from lily.core.observability import count, logger, observe
from lily.webhooks import messages, signing
from lily.webhooks.messages import DeliveryMessage
from lily.webhooks.models import WebhookDelivery, WebhookSubscription
from lily.webhooks.settings import WebhookSettings, webhook_settings
from lily.webhooks.subscriptions import secret_context

Outcome = Literal["delivered", "retry", "failed", "skipped", "deferred", "ignored", "busy", "missing"]
CLAIM_MARGIN_S = 10.0  # the lease outlasts the call's total time limit by this much
EARLY_TOLERANCE_S = 1.0  # a message this close to its instant is attempted (SQS delays are whole seconds)


class ParkInDlq(Exception):  # noqa: N818 - it is a signal, not an error
    """Report this message as failed so the redrive policy moves it to the DLQ."""


def policy(s: WebhookSettings) -> safe_http.FetchPolicy:
    return safe_http.FetchPolicy(allowed_private=tuple(s.allowed_private), https_only=s.https_only,
                                 max_bytes=s.max_response_bytes, total_timeout_s=s.timeout_s, max_redirects=0)


def retry_delay_s(attempt: int, s: WebhookSettings) -> float:
    """Seconds from failed attempt ``attempt`` (1-based) to the next: 30 s, 1, 2, 4 ... minutes, at most an hour."""
    return min(s.backoff_cap_s, s.backoff_base_s * (2 ** (max(1, attempt) - 1)))


def _load(msg: DeliveryMessage) -> WebhookDelivery | None:
    try:
        return WebhookDelivery.get(f"{msg.org_id}#{msg.subscription_id}", msg.delivery_id, consistent_read=True)
    except WebhookDelivery.DoesNotExist:
        return None


def _subscription(msg: DeliveryMessage) -> WebhookSubscription | None:
    try:
        return WebhookSubscription.get(msg.org_id, msg.subscription_id, consistent_read=True)
    except WebhookSubscription.DoesNotExist:
        return None


def _this_round(d: WebhookDelivery):
    return WebhookDelivery.round == int(d.round)


def _skip(d: WebhookDelivery, why: str) -> Outcome:
    won(lambda: d.update(actions=[WebhookDelivery.status.set("skipped"), WebhookDelivery.last_error.set(why),
                                  WebhookDelivery.next_attempt_at.remove(), WebhookDelivery.lease_until.remove()],
                         condition=_this_round(d) & WebhookDelivery.status.is_in("pending", "retrying")))
    count("webhook_deliveries_total", outcome="skipped")
    return "skipped"


def _claim(d: WebhookDelivery, s: WebhookSettings) -> int | None:
    """Take this round's next attempt; returns its number, or None when another worker holds it."""
    now = clock.now()
    number = int(d.attempts or 0) + 1
    actions = [WebhookDelivery.attempts.set(number),
               WebhookDelivery.lease_until.set(now + timedelta(seconds=s.timeout_s + CLAIM_MARGIN_S))]
    if d.first_attempt_at is None:
        actions.append(WebhookDelivery.first_attempt_at.set(now))
    free = WebhookDelivery.lease_until.does_not_exist() | (WebhookDelivery.lease_until < now)
    condition = (_this_round(d) & WebhookDelivery.status.is_in("pending", "retrying")
                 & (WebhookDelivery.attempts == int(d.attempts or 0)) & free)
    return number if won(lambda: d.update(actions=actions, condition=condition)) else None


Resolve = Callable[..., list]  # socket.getaddrinfo's signature: what lily.core.safe_http resolves a host with


def _call(sub: WebhookSubscription, d: WebhookDelivery, s: WebhookSettings, resolve: Resolve
          ) -> tuple[int | None, int, str | None, str | None]:
    """POST the delivery; returns (status code, latency ms, answer truncated, error). Every failure to get an
    answer (a refused target, a time-out, a connection error, an answer over the size cap) is ``Refused``."""
    secret = crypto.decrypt_text(sub.secret_envelope, secret_context(sub.org_id, sub.subscription_id))
    body = d.body.encode()
    headers = signing.headers(secret, int(clock.now_ts()), body, delivery_id=d.delivery_id, event_id=d.event_id,
                              event_type=d.event_type)
    started = time.perf_counter()
    try:
        got = safe_http.fetch("POST", sub.url, policy=policy(s), headers=headers, content=body, resolve=resolve)
    except safe_http.Refused as exc:
        return None, int((time.perf_counter() - started) * 1000), None, exc.reason[:300]
    latency_ms = int(got.elapsed_s * 1000)
    answer = got.body[:s.stored_body_chars].decode("utf-8", errors="replace") if got.body else ""
    return got.status_code, latency_ms, answer, None


def _log_entry(d: WebhookDelivery, number: int, outcome: str, code: int | None, latency_ms: int,
               answer: str | None, error: str | None) -> dict:
    return {"at": clock.iso(), "round": int(d.round), "attempt": number, "outcome": outcome, "status_code": code,
            "latency_ms": latency_ms, "response": answer, "error": error}


def _record(d: WebhookDelivery, number: int, entry: dict, status: str, s: WebhookSettings,
            next_at: datetime | None = None) -> bool:
    log = [*(d.log or []), entry][-s.attempts_kept:]
    actions = [WebhookDelivery.status.set(status), WebhookDelivery.log.set(log),
               WebhookDelivery.lease_until.remove(), WebhookDelivery.last_latency_ms.set(entry["latency_ms"])]
    actions.append(WebhookDelivery.last_status_code.set(entry["status_code"]) if entry["status_code"] is not None
                   else WebhookDelivery.last_status_code.remove())
    actions.append(WebhookDelivery.last_error.set(entry["error"]) if entry["error"]
                   else WebhookDelivery.last_error.remove())
    actions.append(WebhookDelivery.next_attempt_at.set(next_at) if next_at
                   else WebhookDelivery.next_attempt_at.remove())
    if status == "delivered":
        actions.append(WebhookDelivery.delivered_at.set(clock.now()))
    return won(lambda: d.update(actions=actions, condition=_this_round(d) & (WebhookDelivery.attempts == number)))


def _succeeded(sub: WebhookSubscription) -> None:
    """Stop the failure clock; ``last_success_at`` is written at most once a minute (not once per delivery)."""
    stale = sub.last_success_at is None or (clock.now() - sub.last_success_at).total_seconds() > 60
    if sub.failing_since is not None or stale:
        won(lambda: sub.update(actions=[WebhookSubscription.last_success_at.set(clock.now()),
                                        WebhookSubscription.failing_since.remove()],
                               condition=WebhookSubscription.subscription_id.exists()))


def _failing(sub: WebhookSubscription, s: WebhookSettings) -> None:
    """Start the subscription's failure clock (once), and disable it when it has run ``disable_after_s``."""
    now = clock.now()
    if sub.failing_since is None:
        won(lambda: sub.update(actions=[WebhookSubscription.failing_since.set(now)],
                               condition=WebhookSubscription.failing_since.does_not_exist()))
        return
    if (now - sub.failing_since).total_seconds() < s.disable_after_s:
        return
    days = round(s.disable_after_s / 86400, 1)
    reason = (f"Disabled by Lily: every delivery failed for {days:g} days (since {clock.iso(sub.failing_since)}). "
              "Fix the endpoint, re-enable the webhook, then replay what it missed.")
    if won(lambda: sub.update(actions=[WebhookSubscription.enabled.set(False),
                                       WebhookSubscription.disabled_at.set(now),
                                       WebhookSubscription.disabled_reason.set(reason),
                                       WebhookSubscription.updated_at.set(now)],
                              condition=WebhookSubscription.enabled == True)):  # noqa: E712 - a pynamodb condition
        count("webhook_subscriptions_disabled_total")
        logger.warning("webhook subscription disabled after failing", extra={
            "org_id": sub.org_id, "subscription_id": sub.subscription_id,
            "failing_since": clock.iso(sub.failing_since)})


def process(msg: DeliveryMessage, resolve: Resolve = socket.getaddrinfo) -> Outcome:
    """One attempt of ``msg``'s delivery. ``resolve`` is how host names are resolved (the system's resolver; a test
    passes one that answers a private address for a public-looking name)."""
    s = webhook_settings()
    d = _load(msg)
    if d is None:
        return "missing"
    if int(d.round) != msg.round or d.status in ("delivered", "skipped"):
        return "ignored"
    if d.status == "failed":
        raise ParkInDlq(d.delivery_id)  # a copy of its last message: keep it failing, towards the DLQ
    sub = _subscription(msg)
    if sub is None or not sub.enabled:
        return _skip(d, "subscription deleted" if sub is None else "subscription disabled")
    if d.next_attempt_at is not None and (d.next_attempt_at - clock.now()).total_seconds() > EARLY_TOLERANCE_S:
        messages.send(msg, not_before=d.next_attempt_at)
        return "deferred"
    number = _claim(d, s)
    if number is None:
        return "busy"
    d.refresh(consistent_read=True)
    code, latency_ms, answer, error = _call(sub, d, s, resolve)
    ok = code is not None and 200 <= code < 300
    observe("webhook_delivery_latency_seconds", latency_ms / 1000, MetricUnit.Seconds,
            outcome="delivered" if ok else "failed")
    if ok:
        _record(d, number, _log_entry(d, number, "delivered", code, latency_ms, answer, None), "delivered", s)
        _succeeded(sub)
        count("webhook_deliveries_total", outcome="delivered")
        if int(d.round) == 0 and number == 1:  # first try of the event: how long from emit to the receiver's 2xx
            created = clock.parse_iso(json.loads(d.body)["created"])
            observe("webhook_event_to_delivery_seconds", max(0.0, (clock.now() - created).total_seconds()),
                    MetricUnit.Seconds)
        return "delivered"
    error = error or f"HTTP {code}"
    entry = _log_entry(d, number, "failed", code, latency_ms, answer, error)
    _failing(sub, s)
    first = d.first_attempt_at or clock.now()
    next_at = clock.now() + timedelta(seconds=retry_delay_s(number, s))
    if (next_at - first).total_seconds() <= s.retry_window_s:
        if _record(d, number, entry, "retrying", s, next_at=next_at):
            messages.send(msg, not_before=next_at)
        count("webhook_deliveries_total", outcome="retry")
        logger.info("webhook delivery will be retried", extra={
            "delivery_id": d.delivery_id, "subscription_id": d.subscription_id, "attempt": number, "error": error,
            "next_attempt_at": clock.iso(next_at)})
        return "retry"
    _record(d, number, entry, "failed", s)
    count("webhook_deliveries_total", outcome="failed")
    logger.warning("webhook delivery failed for good: to the DLQ", extra={
        "delivery_id": d.delivery_id, "subscription_id": d.subscription_id, "attempts": number, "error": error})
    raise ParkInDlq(d.delivery_id)

