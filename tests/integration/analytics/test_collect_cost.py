"""What collection costs in AWS calls: one connection's message for 1 and for 6 published targets, on the real
ports (publishing's targets, social's tokens and X adapter against the X sandbox, billing's plan), counted at
botocore as the reliability harness counts the publisher's (tests/reliability/harness.py ``AwsCalls``)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from botocore.client import BaseClient

from lily import composition
from lily.analytics import collect
from lily.analytics.messages import CollectMessage
from lily.core import clock
from lily.core.ids import new_id
from lily.publishing.models import Post, Target
from lily.social import tokens
from lily.social.platforms import adapter
from lily.social.platforms.base import PostPayload
from tests.integration.social.conftest import connect
from tests.support.billing import set_plan
from tests.support.identity import create_org, register_user


def _published(org_id: str, connection_id: str, n: int) -> None:
    x = adapter("x")
    creds = tokens.credentials(org_id, connection_id, x)
    now = clock.now()
    for i in range(n):
        tweet = x.publish(creds, PostPayload(text=f"cost {new_id('t')} {i}"))
        post_id = new_id("pst")
        Post(org_id, post_id, text="cost", status="published", created_at=now, updated_at=now).save()
        Target(post_id, new_id("tgt"), org_id=org_id, connection_id=connection_id, platform="x", state="published",
               platform_post_id=tweet.platform_post_id, published_at=now - timedelta(hours=i + 1),
               updated_at=now).save()


def _calls(msg: CollectMessage) -> Counter:
    seen: Counter = Counter()
    original = BaseClient._make_api_call

    def counted(client, operation_name, api_params):
        seen[f"{client.meta.service_model.service_name}:{operation_name}"] += 1
        return original(client, operation_name, api_params)

    BaseClient._make_api_call = counted
    try:
        assert collect.process(composition.analytics_ports(), msg).startswith("collected")
    finally:
        BaseClient._make_api_call = original
    return seen


def test_collection_cost_in_aws_calls_per_target(http, sandboxes, capsys):
    per_n, again = {}, Counter()
    for n in (1, 6):
        user = register_user(http)
        org_id = create_org(http, user["headers"])
        set_plan(org_id, "enterprise")
        connection_id = connect(http, user["headers"], org_id, "x")["connections"][0]["connection_id"]
        _published(org_id, connection_id, n)
        tokens.forget_opened()  # a cold worker: the tokens are opened again
        msg = CollectMessage(org_id=org_id, connection_id=connection_id, platform="x", run_id=f"daily-cost{n}",
                             since=clock.now() - timedelta(days=30))
        per_n[n] = _calls(msg)
        if n == 6:  # the next hourly run of the same connection: origins known, no follower count
            again = _calls(msg.model_copy(update={"run_id": "hourly-cost6"}))
    marginal = (sum(per_n[6].values()) - sum(per_n[1].values())) / 5
    with capsys.disabled():
        print(f"\nanalytics collection, one connection: 1 target {sum(per_n[1].values())} AWS calls "
              f"{dict(per_n[1])}; 6 targets {sum(per_n[6].values())} {dict(per_n[6])}; "
              f"{marginal:.1f} calls per extra target; the next hourly run, 6 targets: {sum(again.values())} "
              f"{dict(again)}")
    # Per extra target: the post's targets (one Query), its snapshot and its totals (two PutItem); the connection
    # is read and its tokens opened once per message, whatever the number of targets
    assert per_n[6]["kms:Decrypt"] == per_n[1]["kms:Decrypt"]
    assert per_n[6]["dynamodb:GetItem"] == per_n[1]["dynamodb:GetItem"]
    assert marginal == 3
    # Fixed per message: the daily run's follower count (one PutItem) and, for targets never collected before,
    # their drafts (one Query of content's drafts); a later hourly run pays neither
    for n in (1, 6):
        assert per_n[n]["dynamodb:PutItem"] == 2 * n + 1
        assert per_n[n]["dynamodb:Query"] == n + 3  # posts, run marks, drafts, one per post's targets
    assert again["dynamodb:PutItem"] == 12 and again["dynamodb:Query"] == 6 + 2
