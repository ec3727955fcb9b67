"""Retries, reconciliation, crashes, the shared breaker, pacing, the DLQ and concurrency (fake platforms)."""

from __future__ import annotations

import threading

from lily.core import breaker, clock
from lily.publishing import dispatcher, dlq, publisher
from lily.publishing.messages import PublishMessage
from lily.publishing.models import Target
from lily.publishing.ports import PublishError
from lily.publishing.posts import get_post
from lily.publishing.settings import PacingRule, publishing_settings
from tests.integration.publishing.helpers import due_together, make_post, queued_target, schedule_in, target_of, tick

ORG = "org_" + "1" * 26


def _one(ports, platform: str = "x", text: str = "hello"):
    return queued_target(ports, ORG, platform, text)


def _target(post, tid) -> Target:
    return target_of(post, tid)


def test_retryable_errors_back_off_then_publish(fake, quota, ports, mq, frozen):
    conn, post, tid = _one(ports)
    fake.force(conn.connection_id, "5xx", "429")
    start = clock.now_ts()
    outcomes = mq.run_until_idle()
    assert outcomes.count("retry") == 2 and outcomes[-1] == "published"
    t = _target(post, tid)
    assert t.state == "published" and t.attempts == 3 and len(fake.posts_of(tid)) == 1
    # the 429's reset time (2 s in the fake) was honoured
    assert clock.now_ts() - start >= fake.faults.reset_s


def test_timeout_after_accept_is_reconciled_not_reposted(fake, quota, ports, mq, frozen):
    conn, post, tid = _one(ports)
    fake.force(conn.connection_id, "timeout_after_accept")
    outcomes = mq.run_until_idle()
    assert outcomes == ["retry", "reconciled"]
    t = _target(post, tid)
    assert t.state == "published" and t.platform_post_id == fake.posts_of(tid)[0].platform_post_id
    assert len(fake.posts_of(tid)) == 1 and fake.lookups == 1


def test_permanent_error_fails_at_once_with_its_reason(fake, quota, ports, mq, frozen):
    conn, post, tid = _one(ports)
    fake.force(conn.connection_id, "validation")
    assert mq.run_until_idle() == ["failed"]
    got = get_post(ORG, post.post_id)
    assert got.status == "failed"
    t = got.targets[0]
    assert t.state == "failed" and t.attempts == 1
    assert t.last_error.code == "SOCIAL_006" and t.last_error.message == "forced validation"


def test_last_retry_fails_parks_in_dlq_and_requeue_publishes_once(fake, quota, ports, mq, frozen):
    conn, post, tid = _one(ports)
    fake.force(conn.connection_id, *["5xx"] * publishing_settings().max_attempts)
    outcomes = mq.run_until_idle()
    assert outcomes[-1] == "parked" and outcomes.count("retry") == publishing_settings().max_attempts - 1
    t = _target(post, tid)
    assert t.state == "failed" and t.exhausted and t.last_error["kind"] == "transient"
    # a duplicate of its last message keeps it parked (so SQS moves it to the DLQ)
    msg = PublishMessage(org_id=ORG, post_id=post.post_id, target_id=tid, dispatch_id=t.dispatch_id)
    try:
        publisher.process(msg, fake)
        raise AssertionError("expected ParkInDlq")
    except publisher.ParkInDlq:
        pass
    # When an admin re-queues it (simulated DLQ message), it publishes once
    ok, why = dlq._requeue_target(msg)
    assert ok, why
    again, _ = dlq._requeue_target(msg)  # a second copy of the same DLQ message is a no-op
    assert not again
    outcomes = mq.run_until_idle()  # the breakers opened by five failures make it wait first
    assert outcomes[-1] == "published" and set(outcomes[:-1]) <= {"deferred"}
    assert len(fake.posts_of(tid)) == 1


def test_worker_crash_mid_publish_is_taken_over_after_the_lease(fake, quota, ports, mq, frozen):
    conn, post, tid = _one(ports)

    class Crash(BaseException):
        pass

    real = fake.publish

    def crash_after_accept(target):
        real(target)
        raise Crash()

    fake.publish = crash_after_accept
    msgs = mq.due()
    try:
        publisher.process(msgs[0], fake)
    except Crash:
        pass
    fake.publish = real
    assert _target(post, tid).state == "publishing"
    # SQS redelivers the message (not deleted): before the lease ends it defers
    assert publisher.process(msgs[0], fake) == "deferred"
    outcomes = mq.run_until_idle()
    assert outcomes == ["reconciled"]
    assert len(fake.posts_of(tid)) == 1


def test_breaker_opens_after_five_failures_and_probes_once(fake, quota, ports, mq, frozen):
    s = publishing_settings()
    conn = fake.add_connection(ORG, "linkedin")
    key = f"connection:{conn.connection_id}"
    for _ in range(s.breaker_threshold):
        assert breaker.allow(key, probe_lease_s=60).allowed
        breaker.record_failure(key, threshold=s.breaker_threshold, open_s=s.breaker_open_s)
    assert breaker.state_of(key) == "open"
    assert not breaker.allow(key, probe_lease_s=60).allowed
    clock.advance(s.breaker_open_s)
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        breaker.allow(key, probe_lease_s=60))) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(d.allowed for d in results) == 1 and sum(d.probe for d in results) == 1
    breaker.record_success(key)
    assert breaker.state_of(key) == "closed"


def test_open_breaker_defers_without_spending_attempts(fake, quota, ports, mq, frozen):
    conn, post, tid = _one(ports, "facebook")
    fake.force(conn.connection_id, *["5xx"] * 4)
    s = publishing_settings()
    for _ in range(s.breaker_threshold):
        breaker.record_failure(f"connection:{conn.connection_id}", threshold=s.breaker_threshold,
                               open_s=s.breaker_open_s)
    assert mq.deliver() == ["deferred"]
    assert _target(post, tid).attempts == 0


def test_pacing_spaces_posts_so_the_platform_never_says_429(fake, quota, ports, mq, frozen, monkeypatch):
    # Given the platform allows 3 posts per 60 s per account, and Lily's pacing knows it
    fake.rate_limits["x"] = (3, 60.0)
    monkeypatch.setitem(publishing_settings().pacing, "x", [PacingRule(limit=3, window_s=60, burst=2)])
    conn = fake.add_connection(ORG, "x")
    due_together(ports, ORG, [conn.connection_id], 8, "paced")
    tick()
    outcomes = mq.run_until_idle()
    assert outcomes.count("published") == 8
    assert fake.organic_429 == 0
    assert "deferred" in outcomes


def test_two_dispatchers_and_two_publishers_never_publish_twice(fake, quota, ports, mq, frozen, monkeypatch):
    for platform in ("x", "facebook", "linkedin"):
        monkeypatch.setitem(publishing_settings().pacing, platform, [PacingRule(limit=1000, window_s=60, burst=100)])
    conns = [fake.add_connection(ORG, p) for p in ("x", "facebook", "linkedin", "x")]
    posts = [make_post(ports, ORG, [c.connection_id for c in conns], text=f"race {i}") for i in range(10)]
    for p in posts:
        schedule_in(ports, ORG, p.post_id, 5)
    clock.advance(5)
    results = []
    ds = [threading.Thread(target=lambda: results.append(dispatcher.tick())) for _ in range(2)]
    for th in ds:
        th.start()
    for th in ds:
        th.join()
    assert sum(r["dispatched"] for r in results) == 40
    # every message delivered twice (duplicate deliveries), to two publishers at once
    msgs = mq.due()
    errors = []

    def worker(batch):
        for m in batch:
            try:
                publisher.process(m, fake)
            except Exception as exc:  # pragma: no cover - surfaced below
                errors.append(exc)

    # one copy of each message per publisher, in the same order, so both copies race on two threads
    ps = [threading.Thread(target=worker, args=(list(msgs),)) for _ in range(2)]
    for th in ps:
        th.start()
    for th in ps:
        th.join()
    assert not errors
    mq.run_until_idle()
    for p in posts:
        for t in get_post(ORG, p.post_id).targets:
            assert t.state == "published", t
            assert len(fake.posts_of(t.target_id)) == 1


def test_publish_error_kinds_map_to_taxonomy_codes():
    assert PublishError("rate_limited", "x").code.value == "SOCIAL_003"
    assert PublishError("auth_expired", "x").retryable is False
    assert PublishError("weird", "x").kind == "unknown"
