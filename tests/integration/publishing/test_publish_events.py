"""The publisher emits post.published and post.failed (the webhook events) when a target is done."""

from __future__ import annotations

from tests.integration.publishing.helpers import queued_target
from tests.integration.webhooks.test_emits import emitted

ORG = "org_" + "4" * 26


def test_published_and_failed_targets_emit_their_events(fake, quota, ports, mq, frozen):
    emitted()
    conn, post, tid = queued_target(ports, ORG, "x", "goes out")
    assert mq.run_until_idle() == ["published"]
    [published] = emitted()
    assert published["type"] == "post.published" and published["org_id"] == ORG
    assert published["data"]["post_id"] == post.post_id and published["data"]["target_id"] == tid
    assert published["data"]["platform_post_id"] == fake.posts_of(tid)[0].platform_post_id
    conn2, post2, tid2 = queued_target(ports, ORG, "linkedin", "refused")
    fake.force(conn2.connection_id, "validation")
    assert mq.run_until_idle() == ["failed"]
    [failed] = emitted()
    assert failed["type"] == "post.failed" and failed["data"]["post_id"] == post2.post_id
    assert failed["data"]["error"]["code"] == "SOCIAL_006" and failed["data"]["attempts"] == 1
