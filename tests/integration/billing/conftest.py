"""Billing fixtures: a local Stripe sandbox (one per test process) pointed at by the test's deployment."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="session")
def stripe_sandbox_server():
    from lily.local.sandboxes import stripe as sandbox

    sb = sandbox.start(webhook_url=None)  # events stay in the outbox; tests POST them
    yield sb
    sb.stop()


@pytest.fixture
def stripe_sandbox(stripe_sandbox_server, lily_env, monkeypatch):
    """The sandbox, with this deployment's Stripe settings pointing at it and an empty outbox."""
    from lily.core.config import reset_settings

    for key, value in stripe_sandbox_server.env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    stripe_sandbox_server.state.take_outbox()
    stripe_sandbox_server.state.requests.clear()  # the sandbox serves the whole session: this test's calls only
    yield stripe_sandbox_server
    reset_settings()


def post_events(http, events: list[tuple[bytes, dict[str, str]]]) -> list[dict]:
    out = []
    for body, headers in events:
        r = http.post("/webhooks/stripe", content=body, headers=headers)
        assert r.status_code == 200, r.text
        out.append(r.json())
    return out


def event_types(events: list[tuple[bytes, dict[str, str]]]) -> list[str]:
    return [json.loads(body)["type"] for body, _ in events]


@pytest.fixture
def atomic_dynamodb_writes(monkeypatch):
    """DynamoDB serializes writes to an item, so a conditional write sees the previous write's
    result; moto's in-process backend does not (two threads can both read ``used=0``, both pass
    the condition and both write ``1``). Restore DynamoDB's guarantee by serializing moto's write
    operations, so the concurrency tests check Lily's condition, not the emulator's race.
    """
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def serialized(self, *args, __original=original, **kwargs):
            with lock:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, serialized)
    yield
