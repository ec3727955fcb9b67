"""What one publish costs in AWS calls: the connection's tokens are opened once per warm container (and again as
soon as they change), ``last_used_at`` is written at most once a minute, the dispatcher batches its messages."""

from __future__ import annotations

import time
from datetime import timedelta

from lily.core import clock, crypto
from lily.social import tokens
from lily.social.models import SocialConnection
from lily.social.platforms.base import TokenSet


def _connection(org_id: str, access_token: str) -> SocialConnection:
    now = clock.now()
    conn = SocialConnection(org_id, "conn_cost", platform="x", account_id="42", account_kind="user",
                            account_name="cost", grant_id="g", created_by="u", created_at=now, updated_at=now,
                            access_envelope=tokens.seal_access(TokenSet(access_token=access_token), org_id,
                                                               "conn_cost"))
    conn.save()
    return conn


def test_tokens_are_opened_once_until_they_change(lily_env, monkeypatch):
    decrypts = []
    real = crypto.decrypt_text
    monkeypatch.setattr(crypto, "decrypt_text", lambda *a, **k: decrypts.append(1) or real(*a, **k))
    conn = _connection("org_cost", "first-token")
    # When a warm container publishes three times through the same connection
    seen = [tokens.credentials("org_cost", "conn_cost").access_token for _ in range(3)]
    # Then it decrypted the tokens once, and marked the connection used once
    assert seen == ["first-token"] * 3 and len(decrypts) == 1
    used = SocialConnection.get("org_cost", "conn_cost", consistent_read=True).last_used_at
    assert used is not None
    # When the tokens are refreshed (a new envelope, a new token_version)
    tokens.store_refreshed(conn, TokenSet(access_token="first-token"), TokenSet(access_token="second-token"))
    # Then the next publish opens the new ones at once
    assert tokens.credentials("org_cost", "conn_cost").access_token == "second-token"
    assert len(decrypts) == 2
    # And a minute later the connection is marked used again
    clock.advance(timedelta(seconds=tokens.USED_EVERY_S + 1).total_seconds())
    tokens.credentials("org_cost", "conn_cost")
    assert SocialConnection.get("org_cost", "conn_cost", consistent_read=True).last_used_at > used


def test_the_dispatcher_sends_ten_messages_per_call(lily_env):
    from lily.core import queues
    from lily.core.aws import client
    from lily.publishing import messages
    from lily.publishing.messages import PublishMessage
    from lily.publishing.settings import publishing_settings

    sqs = client("sqs")
    url = queues.queue_url(publishing_settings().queue)
    calls = []
    real = sqs.send_message_batch
    sqs.send_message_batch = lambda **kw: calls.append(len(kw["Entries"])) or real(**kw)
    try:
        # When 23 messages are sent together, each with its own delay
        batch = [(PublishMessage(org_id="o", post_id=f"p{i}", target_id=f"t{i}", dispatch_id="d"),
                  clock.now() + timedelta(seconds=i % 3)) for i in range(23)]
        messages.send_all(batch)
    finally:
        del sqs.send_message_batch
    # Then three calls carried them, and every message arrives
    assert calls == [10, 10, 3]
    got: set[str] = set()
    deadline = time.monotonic() + 10
    while len(got) < 23 and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            got.add(PublishMessage.model_validate_json(m["Body"]).target_id)
    assert got == {f"t{i}" for i in range(23)}


def test_batched_messages_carry_the_correlation_id_even_when_sqs_refuses_one(lily_env):
    from lily.core import queues
    from lily.core.aws import client
    from lily.core.observability import set_correlation_id
    from lily.publishing import messages
    from lily.publishing.messages import PublishMessage
    from lily.publishing.settings import publishing_settings

    sqs = client("sqs")
    url = queues.queue_url(publishing_settings().queue)
    real = sqs.send_message_batch

    def refuse_the_first(**kw):  # SQS refuses entry 0; send_all sends it again on its own
        kept = [e for e in kw["Entries"] if e["Id"] != "0"]
        answer = real(**{**kw, "Entries": kept})
        if len(kept) < len(kw["Entries"]):
            answer = {**answer, "Failed": [{"Id": "0", "SenderFault": False, "Code": "InternalError"}]}
        return answer

    sqs.send_message_batch = refuse_the_first
    set_correlation_id("cid-batch")
    try:
        # When 12 messages are sent in a request whose correlation id is cid-batch
        messages.send_all([(PublishMessage(org_id="o", post_id="p", target_id=f"t{i}", dispatch_id="d"), None)
                           for i in range(12)])
    finally:
        del sqs.send_message_batch
        set_correlation_id(None)
    # Then every message arrives once, with the correlation id as a message attribute
    got: dict[str, str] = {}
    deadline = time.monotonic() + 10
    while len(got) < 12 and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     MessageAttributeNames=["All"]).get("Messages", []):
            target = PublishMessage.model_validate_json(m["Body"]).target_id
            assert target not in got
            got[target] = m["MessageAttributes"]["correlation_id"]["StringValue"]
    assert got == {f"t{i}": "cid-batch" for i in range(12)}
