"""The capabilities emit their domain events onto the webhook_events queue where they happen (once)."""

from __future__ import annotations

from lily import composition
from lily.billing.models import Subscription
from lily.billing.subscription_sync import apply_plan
from lily.core import clock
from lily.social import health, inbox
from lily.social.messages import NeedsReauth
from lily.social.models import EngagementEvent
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
    ports = composition.billing_ports()._replace(plan_change_listeners=())
    assert apply_plan(ports, ORG) == ("free", "pro")
    assert apply_plan(ports, ORG) is None
    [env] = emitted()
    assert env["type"] == "subscription.changed"
    assert env["data"] == {"old_plan": "free", "new_plan": "pro", "direction": "upgrade", "status": "active"}


def test_a_new_inbox_item_emits_inbox_item_created_once(lily_env):
    now = clock.now()
    event = EngagementEvent(ORG, "x:1790000000000000001", connection_id="soc_1", platform="x", account_id="42",
                            kind="comment", item_id="1790000000000000001", post_id="1789", author_name="Ada",
                            text="Love this", occurred_at=now, received_at=now, stored_at=now)
    assert inbox.add(event) is True
    assert inbox.add(event) is False  # the queue delivered the engagement twice: one item, one event
    [env] = emitted()
    assert env["type"] == "inbox.item_created" and env["org_id"] == ORG
    assert env["data"]["platform"] == "x" and env["data"]["kind"] == "comment" and env["data"]["text"] == "Love this"
    assert env["data"]["item_id"].startswith("ibx_") and env["data"]["sentiment"] == "positive"
