"""One test per invariant of the exactly-once protocol (docs/publishing.md, "Exactly once")."""

from __future__ import annotations

from datetime import timedelta

from lily.core import clock
from lily.core.observability import snapshot
from lily.publishing import publisher
from lily.publishing.models import Target
from lily.publishing.settings import PacingRule, publishing_settings
from lily.publishing.states import is_watch_sk
from tests.integration.publishing.helpers import due_together, queued_target, target_of, tick

ORG = "org_" + "5" * 26


def _queued(ports, platform: str = "x", text: str = "protocol"):
    return queued_target(ports, ORG, platform, text)


def _target(post, tid) -> Target:
    return target_of(post, tid)


class Crash(BaseException):
    pass


def _crash_after_accept(fake):
    real = fake.publish

    def publish(target):
        real(target)
        raise Crash()

    fake.publish = publish
    return real


def test_a_takeover_waits_for_the_lease_and_the_settle_time_then_looks_up_first(fake, quota, ports, mq, frozen):
    # Given a worker that died right after the platform accepted the post (its claim stays)
    conn, post, tid = _queued(ports)
    msg = mq.due()[0]
    real = _crash_after_accept(fake)
    try:
        publisher.process(msg, fake)
    except Crash:
        pass
    fake.publish = real
    s = publishing_settings()
    lease_end = _target(post, tid).lease_until
    # When copies of its message arrive before the lease ended, and before the request surely landed
    for at in (lease_end - timedelta(seconds=1), lease_end + timedelta(seconds=s.reconcile_delay_s - 1)):
        clock.advance((at - clock.now()).total_seconds())
        assert publisher.process(msg, fake) == "deferred"
        assert _target(post, tid).state == "publishing" and fake.lookups == 0
    # Then only after both does another worker take over, and it looks the post up instead of posting
    clock.advance(2)
    assert publisher.process(msg, fake) == "reconciled"
    t = _target(post, tid)
    assert t.state == "published" and t.platform_post_id == fake.posts_of(tid)[0].platform_post_id
    assert len(fake.posts_of(tid)) == 1 and fake.lookups == 1


def test_the_takeover_write_itself_refuses_a_live_lease(fake, quota, ports, mq, frozen):
    # Given a target claimed by a live worker
    conn, post, tid = _queued(ports)
    msg = mq.due()[0]
    claimed = publisher._claim(_target(post, tid), msg)
    assert claimed is not None
    stale = _target(post, tid)
    # When a second worker attempts the takeover (as if it believed the lease had ended)
    # Then the conditional write refuses it, whatever the worker believed
    assert publisher._claim(stale, msg) is None
    assert _target(post, tid).attempt_id == claimed[1]


def _crashed_then_slow_lookup(fake, mq, post, tid, during_lookup):
    """A worker died after the platform accepted; the post is gone again; the taker's lookup is slow."""
    msg = mq.due()[0]
    real = _crash_after_accept(fake)
    try:
        publisher.process(msg, fake)
    except Crash:
        pass
    fake.publish = real
    fake.posts.clear()  # the first post never landed: the lookup will find nothing
    slow_lookup = fake.lookup

    def lookup(target):
        during_lookup()
        return slow_lookup(target)

    fake.lookup = lookup
    s = publishing_settings()
    clock.advance(s.lease_s + s.reconcile_delay_s + 1)
    return msg


def test_the_platform_is_called_only_with_call_budget_s_of_lease_left(fake, quota, ports, mq, frozen):
    # Given a takeover whose lookup is so slow that less than call_budget_s of its lease is left after it
    conn, post, tid = _queued(ports)
    s = publishing_settings()
    msg = _crashed_then_slow_lookup(fake, mq, post, tid, lambda: clock.advance(s.lease_s - s.call_budget_s + 1))
    left_at_call = []
    real = fake.publish

    def publish(target):
        left_at_call.append((_target(post, tid).lease_until - clock.now()).total_seconds())
        return real(target)

    fake.publish = publish
    # When the worker is done looking
    assert publisher.process(msg, fake) == "published"
    # Then it renewed its lease before calling: the call had at least call_budget_s of lease left
    assert left_at_call and left_at_call[0] >= s.call_budget_s
    assert len(fake.posts_of(tid)) == 1


def test_a_worker_that_lost_its_claim_during_the_lookup_never_calls(fake, quota, ports, mq, frozen):
    # Given a worker whose lookup takes so long that its lease ends and another worker takes over meanwhile
    conn, post, tid = _queued(ports)
    s = publishing_settings()
    taken = []

    def taken_over():
        clock.advance(s.lease_s + s.reconcile_delay_s + 1)
        from lily.publishing.messages import PublishMessage

        t = _target(post, tid)
        copy = PublishMessage(org_id=ORG, post_id=post.post_id, target_id=tid, dispatch_id=t.dispatch_id)
        taken.append(publisher._claim(t, copy))

    msg = _crashed_then_slow_lookup(fake, mq, post, tid, taken_over)
    calls = fake.publish_calls
    # When the first worker is done looking
    outcome = publisher.process(msg, fake)
    # Then it cannot renew a lease it lost, and does not call the platform
    assert taken and taken[0] is not None
    assert outcome == "busy" and fake.publish_calls == calls
    assert _target(post, tid).attempt_id == taken[0][1]


def test_a_record_from_a_lost_claim_never_lands(fake, quota, ports, mq, frozen):
    # Given a worker whose claim was taken over (its attempt id is no longer the target's)
    conn, post, tid = _queued(ports)
    t = _target(post, tid)
    t, old_attempt = publisher._claim(t, mq.due()[0])
    clock.advance(publishing_settings().lease_s + publishing_settings().reconcile_delay_s + 1)
    from lily.publishing.messages import PublishMessage

    copy = PublishMessage(org_id=ORG, post_id=post.post_id, target_id=tid, dispatch_id=t.dispatch_id)
    assert publisher._claim(_target(post, tid), copy) is not None
    # When the old worker records its outcome
    from lily.publishing.ports import PublishOutcome

    assert publisher._published(t, old_attempt, PublishOutcome(platform_post_id="1"), "published", [t]) == "busy"
    # Then nothing changed: the new holder still owns the target
    assert _target(post, tid).state == "publishing" and _target(post, tid).platform_post_id is None


def test_progressing_targets_never_enter_the_dispatch_window(fake, quota, ports, mq, frozen):
    # Given a dispatched target (queued, its message in flight)
    conn, post, tid = _queued(ports)
    # Then its due key is a watchdog key, and the next ticks read nothing until its watchdog instant
    assert is_watch_sk(_target(post, tid).due_sk)
    for _ in range(3):
        clock.advance(20)
        assert tick()["due"] == 0


def test_a_long_wait_in_the_pacing_line_moves_the_watchdog_instant(fake, quota, ports, mq, frozen, monkeypatch):
    # Given an account allowed 2 posts per hour, burst 1 (the wait is far beyond the watchdog grace), and 3 posts
    # due at once
    monkeypatch.setitem(publishing_settings().pacing, "x", [PacingRule(limit=2, window_s=3600, burst=1)])
    conn = fake.add_connection(ORG, "x")
    posts = due_together(ports, ORG, [conn.connection_id], 3, "line")
    assert tick()["dispatched"] == 3
    before = dict(snapshot()).get("publish_watchdog_requeues_total", [])
    outcomes = mq.deliver()
    assert outcomes.count("published") == 1 and outcomes.count("deferred") == 2
    # When the watchdog grace passes while the other two wait in line
    clock.advance(publishing_settings().watchdog_grace_s + 60)
    # Then the watchdog re-sends nothing (they are progressing), and each waited in line once
    assert tick()["watchdog"] == 0
    assert dict(snapshot()).get("publish_watchdog_requeues_total", []) == before
    outcomes = mq.run_until_idle()
    assert outcomes.count("published") == 2 and outcomes.count("deferred") == 0
    assert all(len(fake.posts_of(p.targets[0].target_id)) == 1 for p in posts)


def test_a_lost_message_is_sent_again_by_the_watchdog(fake, quota, ports, mq, frozen):
    # Given a dispatched target whose message was lost
    conn, post, tid = _queued(ports)
    mq.messages.clear()
    # When its watchdog instant passes
    clock.advance(publishing_settings().watchdog_grace_s + 1)
    # Then the dispatcher sends it again, and it is published once
    assert tick()["watchdog"] == 1
    assert mq.run_until_idle() == ["published"]
    assert len(fake.posts_of(tid)) == 1


def test_a_backlog_waits_in_line_one_deferral_each(fake, quota, ports, mq, frozen, monkeypatch):
    # Given 8 posts due at once on one account paced at 3 per minute, burst 1
    monkeypatch.setitem(publishing_settings().pacing, "x", [PacingRule(limit=3, window_s=60, burst=1)])
    conn = fake.add_connection(ORG, "x")
    due_together(ports, ORG, [conn.connection_id], 8, "backlog")
    tick()
    # When they are delivered
    outcomes = mq.run_until_idle()
    # Then all are published, 7 waited in line exactly once, and no 30 s window held more than the limit
    assert outcomes.count("published") == 8 and outcomes.count("deferred") == 7
    times = sorted(p.created_at.timestamp() for p in fake.posts if p.connection_id == conn.connection_id)
    assert all(b - a >= 30 - 1e-6 for a, b in zip(times, times[1:], strict=False))


def test_a_short_pacing_wait_is_slept_in_the_worker_not_sent_back_through_the_queue(fake, quota, ports, mq, frozen,
                                                                                    monkeypatch):
    # Given an account paced at 3 per second, burst 1 (a post every 0.5 s), and 3 posts due at once
    monkeypatch.setitem(publishing_settings().pacing, "x", [PacingRule(limit=3, window_s=1, burst=1)])
    conn = fake.add_connection(ORG, "x")
    due_together(ports, ORG, [conn.connection_id], 3, "short wait")
    tick()
    waited = sum(s["value"] for s in snapshot().get("publish_waited_in_worker_total", []))
    # When they are delivered once
    outcomes = mq.deliver()
    # Then each waits for its slot in the worker (0.5 s and 1 s, within wait_in_worker_s): no message goes back
    # to the queue, and the platform still never sees two posts within the pacing interval
    assert outcomes == ["published"] * 3 and mq.messages == []
    assert sum(s["value"] for s in snapshot().get("publish_waited_in_worker_total", [])) - waited == 2
    times = sorted(p.created_at.timestamp() for p in fake.posts if p.connection_id == conn.connection_id)
    assert len(times) == 3 and all(b - a >= 0.5 - 1e-6 for a, b in zip(times, times[1:], strict=False))


def test_a_pacing_wait_longer_than_wait_in_worker_goes_back_through_the_queue(fake, quota, ports, mq, frozen,
                                                                              monkeypatch):
    # Given the same account and posts, with in-worker waits turned off
    monkeypatch.setitem(publishing_settings().pacing, "x", [PacingRule(limit=3, window_s=1, burst=1)])
    monkeypatch.setattr(publishing_settings(), "wait_in_worker_s", 0.0)
    conn = fake.add_connection(ORG, "x")
    due_together(ports, ORG, [conn.connection_id], 3, "queued wait")
    tick()
    # Then the two without a slot take places in line and come back as delayed messages
    assert mq.deliver().count("deferred") == 2 and len(mq.messages) == 2
    assert mq.run_until_idle().count("published") == 2


def test_a_free_slot_is_not_left_idle_for_a_post_still_on_its_way_back(fake, quota, ports, mq, frozen, monkeypatch):
    # Given an account paced at 3 per minute, burst 1 (a post every 30 s), and 3 posts due at once: one goes,
    # two wait in line (places 30 s and 60 s on), and their messages come back late (a backlog on the queue)
    monkeypatch.setitem(publishing_settings().pacing, "x", [PacingRule(limit=3, window_s=60, burst=1)])
    conn = fake.add_connection(ORG, "x")
    due_together(ports, ORG, [conn.connection_id], 3, "in line")
    tick()
    assert mq.deliver().count("deferred") == 2
    late, mq.messages = mq.messages, []
    # When a new post falls due 40 s later, after the first place but before its holder is back
    clock.advance(35)
    due_together(ports, ORG, [conn.connection_id], 1, "newcomer")
    tick()
    # Then it takes the free slot at once instead of queueing behind the line
    assert mq.deliver() == ["published"]
    # And the late ones still go out once each, never two within the pacing interval
    mq.messages += late
    assert mq.run_until_idle().count("published") == 2
    times = sorted(p.created_at.timestamp() for p in fake.posts if p.connection_id == conn.connection_id)
    assert len(times) == 4 and all(b - a >= 30 - 1e-6 for a, b in zip(times, times[1:], strict=False))


def test_the_watchdog_holds_off_while_the_queue_has_a_backlog(fake, quota, ports, mq, frozen):
    from lily.core import queues
    from tests.integration.publishing.helpers import purge_queue

    # Given a dispatched target whose message was lost, and other messages waiting on the publish queue
    conn, post, tid = _queued(ports)
    mq.messages.clear()
    queues.send(publishing_settings().queue, {"waiting": True})
    clock.advance(publishing_settings().watchdog_grace_s + 1)
    # When the dispatcher ticks past its watchdog instant, nothing is re-sent while the backlog lasts
    assert tick()["watchdog"] == 0
    # Then once the queue is drained, the next tick re-sends it
    purge_queue()
    assert tick()["watchdog"] == 1
    assert mq.run_until_idle() == ["published"]
