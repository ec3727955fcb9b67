"""The capabilities emit their domain events onto the webhook_events queue where they happen (once)."""

from __future__ import annotations

import dataclasses

from lily import composition
from lily.billing.models import Subscription
from lily.billing.subscription_sync import apply_plan
from lily.social import health
from lily.social.messages import NeedsReauth
from tests.support.events import emitted

ORG = "org_" + "6" * 26


def test_needs_reauth_notice_emits_connection_needs_reauth_once(lily_env):
    event = NeedsReauth(org_id=ORG, connection_id="soc_1", platform="x", account_name="Lily Bakery",
                        reason="auth_expired")
    assert health.handle_event(event) == "recorded"
    assert health.handle_event(event) == "duplicate"  # the queue delivered it twice: one event
    [env] = emitted()
    assert env["type"] == "connection.needs_reauth" and env["org_id"] == ORG and env["v"] == 1
    assert env["data"] == {"connection_id": "soc_1", "platform": "x", "account_name": "Lily Bakery",
                           "reason": "auth_expired"}


def test_a_plan_transition_emits_subscription_changed_once(lily_env):
    Subscription(ORG, plan_id="pro", applied_plan_id="free", status="active").save()
    ports = dataclasses.replace(composition.billing_ports(), plan_change_listeners=())
    assert apply_plan(ports, ORG) == ("free", "pro")
    assert apply_plan(ports, ORG) is None
    [env] = emitted()
    assert env["type"] == "subscription.changed"
    assert env["data"] == {"old_plan": "free", "new_plan": "pro", "direction": "upgrade", "status": "active"}
