"""The event registry and envelope, the signature against hmac directly, the retry schedule, the URL rules."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from lily.core import clock, events, ids
from lily.core.errors import LilyError
from lily.webhooks import signing, subscriptions
from lily.webhooks.delivery import retry_delay_s
from lily.webhooks.fanout import delivery_id_of
from lily.webhooks.settings import WebhookSettings


def test_the_registry_holds_the_issue_types():
    assert set(events.EVENT_TYPES) == {"post.published", "post.failed", "post.needs_approval",
                                       "connection.needs_reauth", "subscription.changed", "research.completed",
                                       "image.ready", "inbox.item_created"}


def test_the_envelope_is_versioned_and_refuses_unknown_types():
    with clock.freeze(1_800_000_000.5):
        env = events.envelope("post.published", "org_1", {"post_id": "p"})
    assert set(env) == {"id", "type", "created", "org_id", "data", "v"} and env["v"] == 1
    assert env["id"].startswith("evt_") and env["created"] == "2027-01-15T08:00:00.500000Z"
    with pytest.raises(events.UnknownEventType):
        events.envelope("post.deleted", "org_1", {})


def test_delivery_ids_sort_with_their_events_and_the_ulid_floor():
    with clock.freeze(1_800_000_000.0):
        first = events.envelope("image.ready", "o", {})["id"]
    with clock.freeze(1_800_000_000.002):
        second = events.envelope("image.ready", "o", {})["id"]
    floor = "dlv_" + ids.ulid_floor(1_800_000_000.001)
    assert delivery_id_of(first) < floor <= delivery_id_of(second)


def test_an_event_is_within_a_replay_since_its_own_creation_even_when_the_clock_moves_while_it_is_made(monkeypatch):
    # Given a clock whose every reading is 0.7 ms after the last one (a busy machine crossing millisecond boundaries)
    readings = iter(1_800_000_000.0 + i * 0.0007 for i in range(10_000))
    monkeypatch.setattr(clock, "now_ts", lambda: next(readings))
    for _ in range(50):
        env = events.envelope("image.ready", "o", {})
        # Then the ULID floor of its own creation instant (what a replay "since created" queries from) includes it
        since = clock.parse_iso(env["created"]).timestamp()
        assert "dlv_" + ids.ulid_floor(since) <= delivery_id_of(env["id"])


def test_signature_is_hmac_sha256_over_timestamp_dot_body():
    body = b'{"id":"evt_1","type":"post.published"}'
    expected = hmac.new(b"whsec_abc", b"1800000000." + body, hashlib.sha256).hexdigest()
    assert signing.signature("whsec_abc", 1800000000, body) == expected
    headers = signing.headers("whsec_abc", 1800000000, body, delivery_id="dlv_1", event_id="evt_1",
                              event_type="post.published")
    assert headers["Lily-Signature"] == f"v1={expected}" and headers["Lily-Timestamp"] == "1800000000"
    assert signing.new_secret().startswith("whsec_") and signing.new_secret() != signing.new_secret()


def test_retry_schedule_doubles_from_30_s_to_an_hour():
    s = WebhookSettings()
    assert [retry_delay_s(n, s) for n in range(1, 11)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "ftp://hooks.example.com", "https://", "https://u:p@h.example.com/",
                                 "https://h.example.com/#frag", "https://127.0.0.1/x", "https://[::1]/x",
                                 "https://169.254.169.254/latest/meta-data", "https://localhost:8443/x",
                                 "https://h.example.com:99999/"])
def test_urls_refused_at_subscription(url):
    with pytest.raises(LilyError) as caught:
        subscriptions.check_url(url)
    assert caught.value.status == 422


def test_public_https_url_accepted():
    assert subscriptions.check_url("https://hooks.example.com:8443/lily?x=1") == "https://hooks.example.com:8443/lily?x=1"
