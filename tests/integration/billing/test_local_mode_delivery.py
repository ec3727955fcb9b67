"""Real local mode: the sandbox POSTs its signed webhooks over HTTP to Lily's served gateway, whose
background workers apply them — no test hand-delivers anything."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.identity import create_org, register_user


@pytest.fixture
def served(local_suite, monkeypatch):
    from lily.core.config import reset_settings
    from lily.local.sandboxes import stripe as sandbox
    from lily.local.serve import ThreadedServer

    server = ThreadedServer(local_suite.gateway).start()
    sb = sandbox.start(webhook_url=f"{server.base_url}/webhooks/stripe")
    for k, v in sb.env.items():
        monkeypatch.setenv(k, v)
    reset_settings()
    local_suite.start_background()
    yield server.base_url
    sb.stop()
    server.stop()


def test_checkout_url_webhook_and_plan_change_end_to_end(served):
    with httpx.Client(base_url=served, timeout=10) as http:
        owner = register_user(http)
        org_id = create_org(http, owner["headers"])
        r = http.post(f"/api/orgs/{org_id}/billing/checkout", json={"plan_id": "starter", "interval": "year"},
                      headers=owner["headers"])
        assert r.status_code == 201, r.text
        assert httpx.get(r.json()["url"]).status_code == 200  # opening the URL pays
        deadline = time.monotonic() + 20
        plan = None
        while time.monotonic() < deadline:
            plan = http.get(f"/api/orgs/{org_id}/entitlements", headers=owner["headers"]).json()["plan_id"]
            if plan == "starter":
                break
            time.sleep(0.2)
        assert plan == "starter"
