"""Recurring posts and evergreen pools go out through the dispatcher and the exactly-once publisher: occurrences
are made a bounded time ahead, never twice however often the automation runs, evergreen never repeats an item
within its gap nor sends one text twice to an X account, and stops when exhausted or paused."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from lily.core import clock
from lily.core.errors import ErrorCode, LilyError
from lily.publishing import evergreen, recurring
from lily.publishing.models import Post
from lily.publishing.ports import PublishingPorts, SchedulingPorts
from lily.publishing.schemas import EvergreenIn, EvergreenItemIn, RecurringIn
from tests.integration.publishing.helpers import tick


class Zones:
    def __init__(self, zone: str) -> None:
        self.zone_name = zone

    def zone(self, org_id: str) -> str:
        return self.zone_name


class Gate:
    def __init__(self, allowed: bool = True) -> None:
        self.allowed = allowed

    def require(self, org_id: str) -> None:
        if not self.allowed:
            raise LilyError(ErrorCode.PLAN_001, "advanced scheduling needs pro", {"upgrade_to": "pro"})


class NoVariation:
    """The rewording port of tests whose pools skip (``on_duplicate: skip`` never rewords)."""

    def vary(self, *args):
        raise AssertionError("a skip pool never rewords")


class NoApprovals:
    """The approval gate of a test whose feeds never ask for approval (mode draft or queue)."""

    def required(self, *args):
        raise AssertionError("not asked in these tests")

    submitted = approved_by_scheduling = required


def _sched(ports, zone="UTC", gate=None) -> SchedulingPorts:
    return SchedulingPorts(posts=ports, zones=Zones(zone), advanced=gate or Gate())


def _run(sched: SchedulingPorts) -> dict:
    return recurring.run_due(sched, 500) | evergreen.run_due(sched, NoVariation(), 500)


def _posts(org_id: str) -> list[Post]:
    return list(Post.query(org_id))


def test_recurring_occurrences_are_made_ahead_and_published_once_each(ports, fake, mq, frozen):
    # Given a daily 09:00 (UTC) rule with five occurrences, on an X connection
    org_id = "org_recurring"
    conn = fake.add_connection(org_id, "x")
    sched = _sched(ports)
    rule = recurring.create(sched, org_id, RecurringIn(name="daily", text="Daily tip", cron="0 9 * * *", count=5,
                                                       connection_ids=[conn.connection_id]))
    assert rule.status == "active" and len(rule.upcoming) == 5

    # When the automation runs (twice: a repeated run makes nothing new)
    first = _run(sched)
    _run(sched)

    # Then only the occurrences within the 48 h horizon exist, as scheduled posts
    made = _posts(org_id)
    horizon = clock.now() + timedelta(hours=48)
    assert first["recurring_created"] == len(made) and 1 <= len(made) <= 2
    assert all(p.status == "scheduled" and p.scheduled_at <= horizon for p in made)

    # When a week passes with the automation, the dispatcher and the publisher running every hour
    outcomes = []
    for _ in range(24 * 7):
        clock.advance(3600)
        _run(sched)
        tick()
        outcomes += mq.run_until_idle()

    # Then exactly five posts went out, once each, at 09:00 on five days, and the rule ended
    sent = [p for p in fake.posts if p.connection_id == conn.connection_id]
    assert len(sent) == 5 and outcomes.count("published") == 5
    assert len({p.target_id for p in sent}) == 5
    times = sorted(p.scheduled_at for p in _posts(org_id))
    assert all(t.hour == 9 and t.minute == 0 for t in times) and len({t.date() for t in times}) == 5
    assert recurring.get(sched, org_id, rule.rule_id).status == "ended"


def test_recurring_across_berlin_spring_forward_keeps_the_wall_time(ports, fake, lily_env):
    # Given a daily 09:00 rule in Berlin starting the Friday before the change (2027-03-28)
    org_id = "org_recurring_berlin"
    conn = fake.add_connection(org_id, "linkedin")
    sched = _sched(ports, "Europe/Berlin")
    with clock.freeze(datetime(2027, 3, 26, 0, 0, tzinfo=UTC)):
        rule = recurring.create(sched, org_id, RecurringIn(name="daily", text="Guten Morgen", cron="0 9 * * *",
                                                           count=4, connection_ids=[conn.connection_id]))
    # Then the instants move by the offset: 08:00 UTC in winter time, 07:00 UTC in summer time
    assert rule.upcoming == ["2027-03-26T09:00:00+01:00", "2027-03-27T09:00:00+01:00",
                             "2027-03-28T09:00:00+02:00", "2027-03-29T09:00:00+02:00"]


def test_recurring_rules_refused_with_clear_errors(ports, fake, frozen):
    org_id = "org_recurring_bad"
    conn = fake.add_connection(org_id, "x").connection_id
    sched = _sched(ports)
    base = {"name": "r", "text": "t", "connection_ids": [conn]}
    cases = [
        ({"cron": "0 9 * * *"}, ErrorCode.VALIDATION_001),  # no end
        ({"cron": "* * * * *", "count": 3}, ErrorCode.VALIDATION_001),  # every minute: under the minimum interval
        ({"cron": "not a cron", "count": 3}, ErrorCode.VALIDATION_001),
        ({"rrule": "FREQ=SOMETIMES", "count": 3}, ErrorCode.VALIDATION_001),
        ({"cron": "0 9 * * *", "rrule": "FREQ=DAILY", "count": 3}, ErrorCode.VALIDATION_001),
        ({"cron": "0 9 * * *", "count": 3, "text": "x" * 300}, ErrorCode.CONTENT_001),  # X's 280 characters
    ]
    for extra, code in cases:
        with pytest.raises(LilyError) as err:
            recurring.create(sched, org_id, RecurringIn(**(base | extra)))
        assert err.value.code == code, extra
    with pytest.raises(LilyError) as err:
        recurring.create(_sched(ports, gate=Gate(False)), org_id, RecurringIn(**base, cron="0 9 * * *", count=2))
    assert err.value.code == ErrorCode.PLAN_001


def test_paused_recurring_rule_makes_nothing_and_resume_goes_on(ports, fake, frozen):
    org_id = "org_recurring_pause"
    conn = fake.add_connection(org_id, "x").connection_id
    sched = _sched(ports)
    rule = recurring.create(sched, org_id, RecurringIn(name="r", text="weekly", rrule="FREQ=DAILY;BYHOUR=10;BYMINUTE=0",
                                                       count=10, connection_ids=[conn]))
    recurring.set_paused(sched, org_id, rule.rule_id, True)
    assert _run(sched)["recurring_created"] == 0 and _posts(org_id) == []
    resumed = recurring.set_paused(sched, org_id, rule.rule_id, False)
    assert resumed.status == "active"
    assert _run(sched)["recurring_created"] >= 1


def _pool(sched, org_id, conns, texts, **kw):
    body = EvergreenIn(name="pool", connection_ids=conns, posts=[EvergreenItemIn(text=t) for t in texts],
                       interval_hours=kw.pop("interval_hours", 24), min_gap_days=kw.pop("min_gap_days", 3), **kw)
    return evergreen.create(sched, org_id, body)


def test_evergreen_never_repeats_within_its_gap_and_never_sends_identical_text_twice_on_x(ports, fake, mq, frozen):
    # Given a pool of four items, one every 12 hours, a 2-day gap, on an X and a LinkedIn connection
    org_id = "org_evergreen"
    x = fake.add_connection(org_id, "x").connection_id
    li = fake.add_connection(org_id, "linkedin").connection_id
    sched = _sched(ports)
    pool = _pool(sched, org_id, [x, li], ["Tip one", "Tip two", "Tip three", "Tip four"], interval_hours=12,
                 min_gap_days=2)

    # When three weeks pass with everything running every hour
    for _ in range(8 * 21):
        clock.advance(3 * 3600)
        _run(sched)
        tick()
        mq.run_until_idle()

    # Then no item went out within two days of its last time (per connection)
    by_conn_text = defaultdict(list)
    for p in fake.posts:
        by_conn_text[(p.connection_id, p.text)].append(p.created_at)
    for (cid, _), times in by_conn_text.items():
        times.sort()
        assert all(b - a >= timedelta(days=2) - timedelta(minutes=5) for a, b in zip(times, times[1:], strict=False))
    # and X never got one text twice; LinkedIn kept getting the items again
    x_texts = [p.text for p in fake.posts if p.connection_id == x]
    assert len(x_texts) == len(set(x_texts)) == 4
    li_texts = [p.text for p in fake.posts if p.connection_id == li]
    assert len(li_texts) > 4
    # every post went out once
    assert len({p.target_id for p in fake.posts}) == len(fake.posts)
    assert evergreen.get(sched, org_id, pool.pool_id).status == "active"


def test_evergreen_only_on_x_is_exhausted_when_every_text_was_sent(ports, fake, mq, frozen):
    org_id = "org_evergreen_x"
    x = fake.add_connection(org_id, "x").connection_id
    sched = _sched(ports)
    pool = _pool(sched, org_id, [x], ["A", "B"], interval_hours=6, min_gap_days=1)
    for _ in range(8 * 5):
        clock.advance(3 * 3600)
        _run(sched)
        tick()
        mq.run_until_idle()
    assert sorted(p.text for p in fake.posts) == ["A", "B"]
    state = evergreen.get(sched, org_id, pool.pool_id)
    assert state.status == "exhausted" and state.next_at is None


def test_evergreen_max_cycles_and_pause(ports, fake, frozen):
    org_id = "org_evergreen_cycles"
    li = fake.add_connection(org_id, "linkedin").connection_id
    sched = _sched(ports)
    pool = _pool(sched, org_id, [li], ["One", "Two"], interval_hours=24, min_gap_days=1, max_cycles=1)
    paused = evergreen.set_paused(sched, org_id, pool.pool_id, True)
    assert paused.status == "paused"
    clock.advance(3 * 86400)
    assert _run(sched)["evergreen_created"] == 0
    evergreen.set_paused(sched, org_id, pool.pool_id, False)
    for _ in range(10):
        clock.advance(86400)
        _run(sched)
    assert sorted(p.text for p in _posts(org_id)) == ["One", "Two"]
    assert evergreen.get(sched, org_id, pool.pool_id).status == "exhausted"


def test_a_feed_in_queue_mode_respects_the_posts_per_day_quota(fake, frozen):
    # Given a feed dropping its items into a queue, on an org whose plan allows one scheduled post a day
    import httpx

    from lily.core.config import reset_settings
    from lily.publishing import autofeeds, queues
    from lily.publishing.models import AutoFeed
    from lily.publishing.schemas import FeedIn, QueueIn, SlotIn
    from lily.publishing.slots import WEEKDAYS
    from tests.integration.publishing.conftest import FakeQuota
    from tests.support.sandboxes import running_sandboxes

    org_id = "org_feed_quota"
    conn = fake.add_connection(org_id, "linkedin").connection_id
    quota = FakeQuota(limit=1)
    sched = _sched(PublishingPorts(gateway=fake, posts_quota=quota, storage_quota=FakeQuota()))
    queue = queues.create(sched, org_id, QueueIn(name="q", connection_ids=[conn],
                                                 slots=[SlotIn(weekday=d, time="10:00") for d in WEEKDAYS]))
    with running_sandboxes(["feeds"]) as sb:
        reset_settings()
        base = sb["feeds"].base_url
        items = "".join(f"<item><title>Item {i}</title><link>{base}/articles/{i}</link><guid>q{i}</guid></item>"
                        for i in range(3))
        httpx.post(f"{base}/_sandbox/feeds/quota.rss", json={
            "body": f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'})
        feed = autofeeds.create(sched, org_id, FeedIn(url=f"{base}/feeds/quota.rss", connection_ids=[conn],
                                                      mode="queue", queue_id=queue.queue_id, backfill=3))

        # When it is polled
        out = autofeeds.poll(sched, NoApprovals, AutoFeed.get(org_id, feed.feed_id))

        # Then one post is scheduled, the next stays a draft saying the quota refused, and the poll stopped there
        statuses = sorted(p.status for p in _posts(org_id))
        assert statuses == ["draft", "scheduled"] and len(out.created) == 2
        assert autofeeds.get(sched, org_id, feed.feed_id).last_error["code"] == "PLAN_002"
        # a poll the same day makes nothing twice (the third item waits for the quota)
        again = autofeeds.poll(sched, NoApprovals, AutoFeed.get(org_id, feed.feed_id))
        assert len(_posts(org_id)) <= 3 and not set(again.created) & set(out.created)
    reset_settings()
