"""Schedule → dispatcher → publisher against the fake platforms, on a frozen clock."""

from __future__ import annotations

from collections import Counter

import pytest

from lily.core import clock
from lily.core.errors import LilyError
from lily.core.observability import counter_value, observations
from lily.publishing import posts, scheduling
from lily.publishing.models import Attempt, Target
from lily.publishing.schemas import ScheduleIn
from tests.integration.publishing.helpers import make_post, schedule_in, tick


def _org(n: int = 0) -> str:
    return f"org_{'0' * 25}{n}"


def test_scheduled_post_is_published_once_at_its_second(fake, quota, ports, mq, frozen, emf):
    # Given a post to two connections, scheduled 90 s ahead
    org = _org()
    lags_before = Counter(observations("publish_lag_seconds"))  # other tests of this worker observed theirs
    x, li = fake.add_connection(org, "x"), fake.add_connection(org, "linkedin")
    post = make_post(ports, org, [x.connection_id, li.connection_id])
    scheduled = schedule_in(ports, org, post.post_id, 90)
    assert scheduled.status == "scheduled" and {t.state for t in scheduled.targets} == {"scheduled"}
    assert quota.used[org] == 1
    # When the dispatcher ticks now, nothing is due yet (lookahead 60 s)
    assert tick()["dispatched"] == 0
    # When a minute passes, the tick enqueues both targets for their exact second
    clock.advance(60)
    assert tick()["dispatched"] == 2
    assert mq.deliver() == []  # not visible before their instant
    clock.advance(30)
    assert sorted(mq.deliver()) == ["published", "published"]
    # Then each target is published exactly once with its URL, and the post is published
    got = posts.get_post(org, post.post_id)
    assert got.status == "published"
    for t in got.targets:
        assert t.state == "published" and t.platform_url and t.attempts == 1
        assert len(fake.posts_of(t.target_id)) == 1
        assert len(list(Attempt.query(t.target_id))) == 1
    assert counter_value("publishing_posts_published_total") >= 2
    lags = Counter(observations("publish_lag_seconds")) - lags_before
    assert lags.total() == 2 and max(lags) < 1
    # And the publish lag went out as EMF per platform (the publish-lag alarms read it)
    assert emf.find("publish_lag_seconds", platform="x") and emf.find("publish_lag_seconds", platform="linkedin")


def test_missed_ticks_are_caught_up(fake, quota, ports, mq, frozen):
    org = _org(1)
    conn = fake.add_connection(org, "x")
    posts = [make_post(ports, org, [conn.connection_id], text=f"post {i}") for i in range(3)]
    for i, p in enumerate(posts):
        schedule_in(ports, org, p.post_id, 60 + 600 * i)
    # Given the dispatcher was down for an hour
    clock.advance(3600)
    # When it comes back, one tick finds every overdue target
    assert tick()["dispatched"] == 3
    assert mq.deliver().count("published") == 3


def test_cancel_releases_quota_and_stops_a_queued_target(fake, quota, ports, mq, frozen):
    org = _org(2)
    conn = fake.add_connection(org, "x")
    post = make_post(ports, org, [conn.connection_id])
    schedule_in(ports, org, post.post_id, 30)
    assert tick()["dispatched"] == 1  # queued, its message in flight
    out = scheduling.cancel(ports, org, post.post_id)
    assert out.cancelled and out.post.status == "draft" and quota.used[org] == 0
    clock.advance(60)
    assert mq.deliver() == ["ignored"]
    assert fake.posts == []


def test_reschedule_ignores_the_old_message(fake, quota, ports, mq, frozen):
    org = _org(3)
    conn = fake.add_connection(org, "x")
    post = make_post(ports, org, [conn.connection_id])
    schedule_in(ports, org, post.post_id, 30)
    schedule_in(ports, org, post.post_id, 300)  # reschedule before dispatch: quota not consumed twice
    assert quota.used[org] == 1
    clock.advance(300)
    assert tick()["dispatched"] == 1
    assert mq.deliver() == ["published"]
    assert len(fake.posts) == 1


def test_schedule_validates_each_target(fake, quota, ports, mq, frozen):
    org = _org(4)
    x = fake.add_connection(org, "x")
    post = make_post(ports, org, [x.connection_id], text="x" * 281)
    with pytest.raises(LilyError) as err:
        schedule_in(ports, org, post.post_id, 120)
    assert err.value.code.value == "CONTENT_001"
    assert post.targets[0].target_id in err.value.details["targets"]
    assert quota.used.get(org, 0) == 0


def test_schedule_in_a_time_zone(fake, quota, ports, mq, frozen):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    org = _org(5)
    x = fake.add_connection(org, "x")
    post = make_post(ports, org, [x.connection_id])
    local = (datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=1)).replace(tzinfo=None, microsecond=0)
    out = scheduling.schedule(ports, org, post.post_id, ScheduleIn(scheduled_at=local, timezone="Asia/Tokyo"))
    assert out.timezone == "Asia/Tokyo"
    assert out.scheduled_at == local.replace(tzinfo=ZoneInfo("Asia/Tokyo"))


def test_past_instant_is_refused(fake, quota, ports, mq, frozen):
    org = _org(6)
    x = fake.add_connection(org, "x")
    post = make_post(ports, org, [x.connection_id])
    with pytest.raises(LilyError) as err:
        schedule_in(ports, org, post.post_id, -5)
    assert err.value.code.value == "VALIDATION_002"


def test_due_index_is_sparse_after_publishing(fake, quota, ports, mq, frozen):
    org = _org(7)
    x = fake.add_connection(org, "x")
    post = make_post(ports, org, [x.connection_id])
    schedule_in(ports, org, post.post_id, 10)
    tick()
    clock.advance(10)
    mq.deliver()
    t = Target.get(post.post_id, post.targets[0].target_id)
    assert t.due_shard is None and t.due_sk is None
