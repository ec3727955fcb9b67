"""The delivery worker on Lily's clock: the retry schedule, the DLQ after 24 h, a subscription disabled after 3 days
of failures, the SSRF guard on the address actually resolved, and the fan-out's rules (types, plan, duplicates)."""

from __future__ import annotations

import json
import socket

import pytest

from lily import composition
from lily.core import clock, events
from lily.core.functions import discover, load_handler_module
from lily.core.observability import counter_value
from lily.local.context import LocalContext
from lily.webhooks import delivery, fanout, subscriptions
from lily.webhooks.messages import DeliveryMessage, EventEnvelope
from lily.webhooks.models import WebhookDelivery, WebhookSubscription
from lily.webhooks.schemas import WebhookIn
from lily.webhooks.settings import webhook_settings
from tests.helpers import load_event
from tests.support.billing import set_plan

ORG = "org_" + "7" * 26


class MemoryQueue:
    """The webhook_deliveries queue in memory, on Lily's clock: a message is visible at its not_before."""

    def __init__(self) -> None:
        self.messages: list[tuple[float, DeliveryMessage]] = []

    def send(self, msg, not_before=None) -> str:
        self.messages.append((not_before.timestamp() if not_before else clock.now_ts(), msg))
        return "m"

    def send_all(self, batch) -> None:
        for msg in batch:
            self.send(msg)

    def run(self, resolve=socket.getaddrinfo, max_steps: int = 200) -> list[tuple[float, str]]:
        """Deliver each message at its instant, jumping the clock; (instant, outcome) per message."""
        seen = []
        for _ in range(max_steps):
            if not self.messages:
                break
            self.messages.sort(key=lambda m: m[0])
            at, msg = self.messages.pop(0)
            if at > clock.now_ts():
                clock.advance(at - clock.now_ts())
            try:
                seen.append((clock.now_ts(), delivery.process(msg, resolve=resolve)))
            except delivery.ParkInDlq:
                seen.append((clock.now_ts(), "dlq"))
        return seen


@pytest.fixture
def mq(lily_env, monkeypatch):
    q = MemoryQueue()
    monkeypatch.setattr("lily.webhooks.messages.send", q.send)
    monkeypatch.setattr("lily.webhooks.messages.send_all", q.send_all)
    return q


@pytest.fixture
def frozen(lily_env):
    with clock.freeze((int(clock.now_ts()) // 60 + 1) * 60):
        yield


def _subscribe(url: str, types=("post.failed",)) -> tuple[WebhookSubscription, str]:
    set_plan(ORG, "starter")
    created = subscriptions.create(composition.webhook_ports(), ORG, WebhookIn(url=url, events=list(types)), None)
    return WebhookSubscription.get(ORG, created.subscription_id), created.secret


def _event(event_type: str = "post.failed", org_id: str = ORG) -> EventEnvelope:
    return EventEnvelope(**events.envelope(event_type, org_id, {"post_id": "post_1"}))


def _delivery(sub: WebhookSubscription, env: EventEnvelope) -> WebhookDelivery:
    return WebhookDelivery.get(f"{ORG}#{sub.subscription_id}", fanout.delivery_id_of(env.id), consistent_read=True)


def test_retries_back_off_for_24_hours_then_the_dlq(receiver, mq, frozen):
    receiver.status = 500
    sub, _ = _subscribe(receiver.url)
    env = _event()
    start = clock.now_ts()
    # When the event fans out and every attempt gets a 500
    assert fanout.fan_out(composition.webhook_ports(), env) == 1
    seen = mq.run()
    # Then the attempts follow the documented schedule: 30 s doubling, at most an hour apart, within 24 h
    outcomes = [o for _, o in seen]
    assert outcomes[-1] == "dlq" and set(outcomes[:-1]) == {"retry"}
    instants = [at - start for at, _ in seen]
    gaps = [b - a for a, b in zip(instants, instants[1:], strict=False)]
    assert gaps[:8] == [30, 60, 120, 240, 480, 960, 1920, 3600] and set(gaps[8:]) == {3600}
    assert instants[-1] <= 86400 and instants[-1] + 3600 > 86400
    d = _delivery(sub, env)
    assert d.status == "failed" and d.attempts == len(seen) == len(receiver.got)
    assert d.last_status_code == 500 and d.last_error == "HTTP 500"
    assert len(d.log[-1]["response"]) == webhook_settings().stored_body_chars  # the answer, truncated
    # A copy of its last message keeps failing (towards the DLQ) through the worker's handler too
    spec = next(s for s in discover() if s.name == "webhook_delivery")
    event = load_event("webhook_delivery")
    event["Records"][0]["body"] = json.dumps(
        DeliveryMessage(org_id=ORG, subscription_id=sub.subscription_id, delivery_id=d.delivery_id).model_dump())
    handler = load_handler_module(spec).handler
    with pytest.raises(Exception, match="all 1 records failed: ParkInDlq"):
        handler(event, LocalContext(spec.name, spec.memory_mb, spec.timeout_s))


def test_a_recovered_receiver_gets_the_retry(receiver, mq, frozen):
    receiver.status = 503
    sub, _ = _subscribe(receiver.url)
    env = _event()
    fanout.fan_out(composition.webhook_ports(), env)
    first = mq.run(max_steps=2)  # two failed attempts
    assert [o for _, o in first] == ["retry", "retry"]
    assert WebhookSubscription.get(ORG, sub.subscription_id).failing_since is not None
    receiver.status = 204
    assert [o for _, o in mq.run()] == ["delivered"]
    d = _delivery(sub, env)
    assert d.status == "delivered" and d.attempts == 3 and [e["outcome"] for e in d.log] == ["failed"] * 2 + [
        "delivered"]
    assert WebhookSubscription.get(ORG, sub.subscription_id).failing_since is None


def test_a_subscription_failing_for_3_days_is_disabled_with_a_notice(receiver, mq, frozen):
    receiver.status = 500
    sub, _ = _subscribe(receiver.url)
    fanout.fan_out(composition.webhook_ports(), _event())
    mq.run(max_steps=1)
    assert WebhookSubscription.get(ORG, sub.subscription_id).enabled
    before = counter_value("webhook_subscriptions_disabled_total")
    # Three days of failures later
    clock.advance(3 * 86400)
    mq.messages.clear()
    fanout.fan_out(composition.webhook_ports(), _event())
    mq.run(max_steps=1)
    sub = WebhookSubscription.get(ORG, sub.subscription_id)
    assert not sub.enabled and sub.disabled_at is not None
    assert sub.disabled_reason.startswith("Disabled by Lily: every delivery failed for 3 days")
    assert counter_value("webhook_subscriptions_disabled_total") == before + 1
    # Its queued retries are skipped, and new events make skipped deliveries (for a replay once re-enabled)
    assert {o for _, o in mq.run()} == {"skipped"}
    env = _event()
    assert fanout.fan_out(composition.webhook_ports(), env) == 0
    assert _delivery(sub, env).status == "skipped"
    # Re-enabling clears the notice and the failure clock
    from lily.webhooks.schemas import WebhookUpdate

    out = subscriptions.update(composition.webhook_ports(), ORG, sub.subscription_id, WebhookUpdate(enabled=True))
    assert out.enabled and out.disabled_reason is None and out.failing_since is None


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.0.10", "::1",
                                     "fd00::1", "100.64.0.1"])
def test_the_guard_refuses_a_name_that_resolves_to_an_internal_address(lily_env, mq, frozen, address):
    sub, _ = _subscribe("https://hooks.customer.example/lily")
    env = _event()
    asked = []

    def resolver(host, port, *args, **kwargs):  # a DNS answer pointing the public-looking name inside
        asked.append(host)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    fanout.fan_out(composition.webhook_ports(), env)
    [(_, outcome)] = mq.run(resolve=resolver, max_steps=1)
    assert outcome == "retry" and asked == ["hooks.customer.example"]
    d = _delivery(sub, env)
    assert "non-public address" in d.last_error and d.last_status_code is None


def test_the_guard_refuses_plain_http_outside_local_mode_and_redirects_are_not_followed(receiver, mq, frozen,
                                                                                        monkeypatch):
    sub, _ = _subscribe(receiver.url)
    # local mode allowed the receiver: now the deployment setting (https only) applies to the stored URL
    monkeypatch.setenv("LILY_WEBHOOKS_HTTPS_ONLY", "true")
    webhook_settings.cache_clear()
    env = _event()
    fanout.fan_out(composition.webhook_ports(), env)
    mq.run(max_steps=1)
    assert "only https" in _delivery(sub, env).last_error and not receiver.got
    # A redirect is an answer, not followed: a failed attempt
    monkeypatch.setenv("LILY_WEBHOOKS_HTTPS_ONLY", "false")
    webhook_settings.cache_clear()
    receiver.status = 302
    env = _event()
    fanout.fan_out(composition.webhook_ports(), env)
    mq.run(max_steps=1)
    d = _delivery(sub, env)
    assert d.status == "retrying" and d.last_status_code == 302 and len(receiver.got) == 1


def test_fan_out_matches_types_respects_the_plan_and_never_doubles(receiver, mq, frozen):
    sub, _ = _subscribe(receiver.url, types=("post.published",))
    ports = composition.webhook_ports()
    assert fanout.fan_out(ports, _event("post.failed")) == 0  # not subscribed
    assert fanout.fan_out(ports, _event("post.published", org_id="org_" + "8" * 26)) == 0  # another org
    env = _event("post.published")
    assert fanout.fan_out(ports, env) == 1
    assert fanout.fan_out(ports, env) == 1  # handed over again before any attempt: its message again, one delivery
    assert [o for _, o in mq.run()] == ["delivered", "ignored"]
    assert len(receiver.got) == 1
    assert fanout.fan_out(ports, env) == 0  # after the attempt: nothing more
    # A downgraded organization gets no deliveries
    set_plan(ORG, "free")
    assert fanout.fan_out(ports, _event("post.published")) == 0


def test_an_unknown_event_type_is_refused_at_emit(lily_env):
    with pytest.raises(events.UnknownEventType):
        events.emit("post.exploded", ORG, {})


def test_emit_survives_a_refused_send(lily_env, monkeypatch):
    from botocore.exceptions import ClientError

    def refuse(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "no"}}, "SendMessage")

    monkeypatch.setattr("lily.core.queues.send", refuse)
    before = counter_value("domain_events_lost_total", type="image.ready")
    assert events.emit("image.ready", ORG, {"media_id": "m"}) is None
    assert counter_value("domain_events_lost_total", type="image.ready") == before + 1
