"""Collection: a redelivered message resumes where it stopped, a refused token marks the connection and ends the
message, a 429 on one connection re-sends that message only, and the other connection's metrics are stored; the
daily run stores each connection's follower count of the day; a target's origin (template, tone, structure, AI
image) is read once and carried."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lily.analytics import collect
from lily.analytics.messages import CollectMessage
from lily.analytics.models import AnalyticsFollowers, AnalyticsPost, AnalyticsSnapshot, series_key
from lily.analytics.ports import (
    AnalyticsPorts,
    Counts,
    MetricsUnavailable,
    Origin,
    PublishedTarget,
    RateLimited,
    TokenRefused,
)
from lily.core import clock, queues
from lily.core.aws import client
from lily.core.errors import LilyError


class Targets:
    def __init__(self, by_connection):
        self.by_connection = by_connection

    def of_connection(self, org_id, connection_id, since):
        found = [t for t in self.by_connection.get(connection_id, []) if t.published_at >= since]
        return sorted(found, key=lambda t: t.published_at)  # oldest first, as the port says


class Metrics:
    def __init__(self):
        self.calls: list[str] = []
        self.fail: dict[str, Exception] = {}
        self.reauth: list[tuple[str, str]] = []

    def read(self, org_id, connection_id, platform, platform_post_id):
        self.calls.append(platform_post_id)
        if platform_post_id in self.fail:
            raise self.fail[platform_post_id]
        return Counts(impressions=100, likes=5, comments=1, shares=1, clicks=3)

    def needs_reauth(self, org_id, connection_id, reason):
        self.reauth.append((org_id, connection_id))

    def followers(self, org_id, connection_id, platform):
        self.calls.append(f"followers:{connection_id}")
        if f"followers:{connection_id}" in self.fail:
            raise self.fail[f"followers:{connection_id}"]
        return 1000 + len(self.calls)


class Zones:
    def zone(self, org_id):
        return "UTC"


class Origins:
    def __init__(self):
        self.asked: list[list[str]] = []

    def of_posts(self, org_id, post_ids):
        self.asked.append(list(post_ids))
        return {(p, "x"): Origin(template_id="casual.hook.x", tone="casual", structure="hook")
                for p in post_ids if p.endswith("_0")}

    def of_draft(self, org_id, draft_id):
        return None


class Media:
    def generated(self, org_id, media_ids):
        return {m for m in media_ids if m.startswith("gen")}


class Plan:
    def level(self, org_id):
        return "basic"

    def require(self, org_id, level):
        return None


@pytest.fixture
def world(lily_env, monkeypatch):
    monkeypatch.setenv("LILY_ANALYTICS_CALL_INTERVAL_S", "0")
    from lily.core.config import reset_settings

    reset_settings()
    now = clock.now()
    targets = {c: [PublishedTarget(target_id=f"t_{c}_{i}", post_id=f"p_{c}_{i}", connection_id=c, platform="x",
                                   platform_post_id=f"{c}-{i}", published_at=now - timedelta(hours=i + 1),
                                   media_ids=("gen_1",) if i == 1 else ())
                   for i in range(3)] for c in ("c1", "c2")}
    metrics = Metrics()
    return AnalyticsPorts(targets=Targets(targets), connections=None, metrics=metrics, plan=Plan(), zones=Zones(),
                          origins=Origins(), media=Media()), metrics


def _msg(connection_id: str, run_id: str = "hourly-2026120705") -> CollectMessage:
    return CollectMessage(org_id="org_a", connection_id=connection_id, platform="x", run_id=run_id,
                          since=clock.now() - timedelta(days=30))


def _stored(org_id: str = "org_a") -> dict[str, AnalyticsPost]:
    return {p.target_id: p for p in AnalyticsPost.query(org_id)}


def test_a_redelivered_message_resumes_where_it_stopped(world):
    ports, metrics = world
    # Given the platform fails on the second of three posts
    metrics.fail["c1-1"] = MetricsUnavailable("transient")
    # When the connection's message runs, the others are collected and the message fails (SQS redelivers it)
    with pytest.raises(LilyError):
        collect.process(ports, _msg("c1"))
    assert set(_stored()) == {"t_c1_0", "t_c1_2"}
    # When it is redelivered after the platform recovers
    del metrics.fail["c1-1"]
    metrics.calls.clear()
    assert collect.process(ports, _msg("c1")) == "collected 1"
    # Then only the missing post was asked for, and every post has one snapshot of this run
    assert metrics.calls == ["c1-1"]
    assert set(_stored()) == {"t_c1_0", "t_c1_1", "t_c1_2"}
    for i in range(3):
        snaps = list(AnalyticsSnapshot.query(series_key("org_a", f"p_c1_{i}")))
        assert len(snaps) == 1 and snaps[0].likes == 5
        kept = snaps[0].expires_at - snaps[0].taken_at
        assert abs(kept - timedelta(days=30)) < timedelta(seconds=1)  # free/basic: 30 days of history


def test_a_refused_token_marks_the_connection_and_ends_the_message(world):
    ports, metrics = world
    # The oldest target is read first; the refusal ends the message without an error (no redelivery)
    metrics.fail = {t: TokenRefused("token revoked") for t in ("c1-0", "c1-1", "c1-2")}
    assert collect.process(ports, _msg("c1")) == "needs_reauth"
    assert metrics.reauth == [("org_a", "c1")]
    assert len(metrics.calls) == 1


def test_a_429_on_one_connection_does_not_stop_another(world):
    ports, metrics = world
    sqs = client("sqs")
    # Given X answers 429 for the first connection's second post
    metrics.fail["c1-1"] = RateLimited(reset_at=clock.now_ts() + 30)
    # When both connections' messages run
    assert collect.process(ports, _msg("c1")) == "rate_limited"
    assert collect.process(ports, _msg("c2")) == "collected 3"
    # Then the second connection is fully collected, the first up to the 429
    got = _stored()
    assert {t for t in got if t.startswith("t_c2")} == {"t_c2_0", "t_c2_1", "t_c2_2"}
    assert {t for t in got if t.startswith("t_c1")} == {"t_c1_2"}  # oldest first: c1-2, then the 429 on c1-1
    # And the first connection's message is queued again, delayed to the reset, and resumes from there
    attrs = sqs.get_queue_attributes(QueueUrl=queues.queue_url("analytics"),
                                     AttributeNames=["ApproximateNumberOfMessagesDelayed"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    del metrics.fail["c1-1"]
    metrics.calls.clear()
    assert collect.process(ports, _msg("c1")) == "collected 2"
    assert metrics.calls == ["c1-1", "c1-0"]


class Directory:
    def active(self, org_id=None):
        from lily.analytics.ports import ConnectionRef

        refs = [ConnectionRef("org_a", "c1", "x"), ConnectionRef("org_b", "c9", "instagram")]
        return [r for r in refs if org_id in (None, r.org_id)]


def test_the_schedule_fans_out_one_message_per_connection_daily_window_at_two(world):
    from datetime import UTC, datetime

    from lily.analytics import schedule

    ports = world[0]._replace(connections=Directory())
    sqs, url = client("sqs"), queues.queue_url("analytics")

    def sent() -> list[CollectMessage]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return sorted((CollectMessage.model_validate_json(m["Body"]) for m in got), key=lambda m: m.connection_id)

    at_two = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    assert schedule.tick(ports, at_two) == {"messages": 2, "refused": 0}
    daily = sent()
    assert [(m.org_id, m.connection_id) for m in daily] == [("org_a", "c1"), ("org_b", "c9")]
    assert {m.run_id for m in daily} == {"daily-2026120702"} and daily[0].since == at_two - timedelta(days=30)
    # Any other hour: only posts younger than 48 h
    at_five = at_two.replace(hour=5)
    schedule.tick(ports, at_five)
    hourly = sent()
    assert {m.run_id for m in hourly} == {"hourly-2026120705"} and hourly[0].since == at_five - timedelta(hours=48)
    # On demand: one org's connections
    with clock.freeze(at_five.timestamp()):
        assert schedule.refresh(ports, "org_b").connections == 1
    assert [m.connection_id for m in sent()] == ["c9"]


def test_the_daily_run_stores_the_follower_count_of_the_day_and_hourly_runs_do_not(world):
    ports, metrics = world
    assert collect.process(ports, _msg("c1", "hourly-2026120705")) == "collected 3"
    assert "followers:c1" not in metrics.calls and list(AnalyticsFollowers.query("org_a")) == []
    assert collect.process(ports, _msg("c1", "daily-2026120702")) == "collected 3"
    day = clock.now().strftime("%Y-%m-%d")
    [stored] = list(AnalyticsFollowers.query("org_a"))
    assert (stored.day_key, stored.connection_id, stored.platform) == (f"{day}#c1", "c1", "x")
    assert stored.followers == 1004  # the fake's count at its 4th call (3 posts before it, then followers)
    assert abs((stored.expires_at - stored.collected_at) - timedelta(days=30)) < timedelta(seconds=1)
    # A refresh of the same day overwrites the day's count (one item per connection and day)
    collect.process(ports, _msg("c1", "refresh-20261207050"))
    assert len(list(AnalyticsFollowers.query("org_a"))) == 1


def test_a_refused_token_on_the_follower_count_marks_the_connection(world):
    ports, metrics = world
    metrics.fail["followers:c1"] = TokenRefused("token expired")
    assert collect.process(ports, _msg("c1", "daily-2026120702")) == "needs_reauth"
    assert metrics.reauth == [("org_a", "c1")] and _stored() == {}


def test_an_unavailable_follower_count_does_not_stop_the_posts(world):
    ports, metrics = world
    metrics.fail["followers:c1"] = MetricsUnavailable("server")
    assert collect.process(ports, _msg("c1", "daily-2026120702")) == "collected 3"
    assert list(AnalyticsFollowers.query("org_a")) == []


def test_a_targets_origin_is_read_once_and_carried(world):
    ports, _ = world
    collect.process(ports, _msg("c1", "hourly-2026120705"))
    got = _stored()
    assert (got["t_c1_0"].template_id, got["t_c1_0"].tone, got["t_c1_0"].structure) == (
        "casual.hook.x", "casual", "hook")
    assert got["t_c1_1"].template_id is None and got["t_c1_1"].ai_image is True
    assert got["t_c1_0"].ai_image is False
    assert ports.origins.asked == [["p_c1_0", "p_c1_1", "p_c1_2"]]
    # The next run asks nothing of content and keeps what it stored
    collect.process(ports, _msg("c1", "hourly-2026120706"))
    assert len(ports.origins.asked) == 1
    again = _stored()
    assert again["t_c1_0"].template_id == "casual.hook.x" and again["t_c1_1"].ai_image is True
    assert again["t_c1_0"].last_run == "hourly-2026120706"
