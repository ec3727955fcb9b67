"""Inbound platform webhooks: verify the delivery, read its engagements, refuse stale ones, de-duplicate on the
platform's event id and enqueue them for the ``social_inbound`` worker. Nothing else happens inline, so the answer
comes well within the platforms' deadlines (LinkedIn: 3 s).

Stale and replayed: no platform signs a timestamp, so an event is dated by its own time (X ``timestamp_ms``, Meta
``entry.time`` or ``created_time``, LinkedIn ``lastModifiedAt``). One older than ``webhook_max_age_s`` (48 h by
default: Meta retries for up to 36 h) or dated more than ``webhook_future_skew_s`` ahead is refused; within the
window, the event id's record in ``social_webhook_deliveries`` (kept past the window) makes a replay a duplicate.
A delivery whose events are all stale is answered 400 (``WEBHOOK_001``, reason ``stale``).

Metrics: ``webhook_signature_failures_total{platform}``, ``social_webhook_events_total{platform,type,status}``
(type: the event's kind; status: accepted, stale, duplicate, unsupported) and
``social_webhook_events_dropped_total{platform,reason}`` (stale, duplicate, unsupported; the worker adds
unknown_account).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Literal

from lily.core import clock, queues
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, invalid
from lily.core.observability import count, logger
from lily.social import webhook_signatures as signatures
from lily.social.inbound_messages import QUEUE, InboundEngagement
from lily.social.models import WebhookDelivery
from lily.social.schemas import InboundAck
from lily.social.settings import app_secrets, social_settings
from lily.social.webhook_payloads import MalformedPayload, parse

Route = Literal["x", "meta", "linkedin"]
SIGNATURE_HEADERS: dict[Route, str] = {
    "x": "x-twitter-webhooks-signature", "meta": "x-hub-signature-256", "linkedin": "x-li-signature"}


def _signed(route: Route, raw: bytes, header: str | None) -> bool:
    secrets = app_secrets()
    if route == "x":
        return signatures.x_valid(raw, header, secrets.get("x_consumer_secret", ""))
    if route == "meta":
        return signatures.meta_valid(raw, header, secrets.get("meta_app_secret", ""))
    return signatures.linkedin_valid(raw, header, secrets.get("linkedin_client_secret", ""))


def refused(route: Route, reason: str) -> LilyError:
    return LilyError(ErrorCode.WEBHOOK_001, details={"platform": route, "reason": reason})


def accept(route: Route, raw: bytes, headers: Mapping[str, str]) -> InboundAck:
    """Verify, read, date-check, de-duplicate and enqueue one delivery of ``route``'s webhook."""
    if not _signed(route, raw, headers.get(SIGNATURE_HEADERS[route])):
        count("webhook_signature_failures_total", platform=route)
        logger.warning("platform webhook signature rejected", extra={"platform": route})
        raise refused(route, "bad_signature")
    now = clock.now_ts()
    try:
        parsed = parse(route, raw, received_at=now)
    except MalformedPayload as exc:
        raise invalid("Malformed webhook payload", platform=route, reason=str(exc)) from None
    ack = InboundAck(ignored=parsed.ignored)
    if parsed.ignored:
        count("social_webhook_events_dropped_total", parsed.ignored, platform=route, reason="unsupported")
        count("social_webhook_events_total", parsed.ignored, platform=route, type="unsupported", status="unsupported")
    s = social_settings()
    fresh: list[InboundEngagement] = []
    for event in parsed.events:
        if not now - s.webhook_max_age_s <= event.occurred_at <= now + s.webhook_future_skew_s:
            ack.stale += 1
            count("social_webhook_events_dropped_total", platform=event.platform, reason="stale")
            count("social_webhook_events_total", platform=event.platform, type=event.kind, status="stale")
        elif not _claim(event.event_id, s.webhook_max_age_s + s.webhook_future_skew_s):
            ack.duplicate += 1
            count("social_webhook_events_dropped_total", platform=event.platform, reason="duplicate")
            count("social_webhook_events_total", platform=event.platform, type=event.kind, status="duplicate")
        else:
            fresh.append(event)
    _enqueue(fresh)
    for event in fresh:
        count("social_webhook_events_total", platform=event.platform, type=event.kind, status="accepted")
    ack.accepted = len(fresh)
    logger.info("platform webhook received", extra={"platform": route, **ack.model_dump(exclude={"received"})})
    if ack.stale and not (ack.accepted or ack.duplicate or ack.ignored):
        raise refused(route, "stale")
    return ack


def _claim(event_id: str, window_s: int) -> bool:
    """Record ``event_id`` as seen; False when it already was (an expired record counts as unseen)."""
    now = clock.now()
    record = WebhookDelivery(event_id, received_at=now, expires_at=now + timedelta(seconds=window_s + 3600))
    return won(lambda: record.save(condition=WebhookDelivery.event_id.does_not_exist()
                                   | (WebhookDelivery.expires_at < now)))


def _enqueue(events: list[InboundEngagement]) -> None:
    """Queue ``events``; on any failure forget the ones not queued, so the platform's retry delivers them again."""
    if not events:
        return
    refused_at: list[int] = list(range(len(events)))
    try:
        refused_at = queues.send_batch(QUEUE, [(e.model_dump(), 0) for e in events])
    finally:
        for i in refused_at:
            WebhookDelivery(events[i].event_id).delete()
    if refused_at:
        raise LilyError(ErrorCode.SYSTEM_002, "Could not queue the delivery; retry", {"retry_after_s": 30},
                        headers={"Retry-After": "30"})


# --- the platforms' subscription checks (GET) ---


def meta_challenge(mode: str | None, verify_token: str | None, challenge: str | None) -> str:
    """Meta's verification request: the challenge back when the verify token is ours, else 403."""
    if not challenge or not signatures.meta_subscription_valid(
            mode, verify_token, app_secrets().get("meta_verify_token", "")):
        count("webhook_signature_failures_total", platform="meta")
        raise LilyError(ErrorCode.AUTH_003, "Verification refused", {"platform": "meta"})
    return challenge


def x_crc(crc_token: str) -> str:
    return signatures.x_crc_response(crc_token.encode(), app_secrets().get("x_consumer_secret", ""))


def linkedin_challenge(challenge_code: str) -> str:
    return signatures.linkedin_challenge_response(challenge_code, app_secrets().get("linkedin_client_secret", ""))
