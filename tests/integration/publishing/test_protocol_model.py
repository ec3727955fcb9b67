"""Model-based test of the exactly-once protocol (docs/publishing.md, "Exactly once").

Hypothesis draws interleavings of two publish workers, the dispatcher's watchdog, lost and duplicated
messages and a moving clock, on the real publisher and dispatcher against the emulator, with in-process
platforms. A worker's platform call can pause *inside* the call (before or after the platform accepted the
post) while other steps run: another worker handling a copy of the message, the watchdog, the clock moving
on (never past the call's budget: the HTTP timeout ends a call). Invariants checked after every step: no
target is ever on the platform twice; at the end every target is published exactly once (and recorded
with that post) or failed with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lily.core import clock
from lily.publishing import dispatcher, publisher
from lily.publishing.models import Target
from lily.publishing.ports import PublishError, PublishingPorts
from lily.publishing.settings import publishing_settings
from tests.integration.publishing.conftest import FakeQuota
from tests.integration.publishing.helpers import make_post, schedule_in
from tests.support.fake_platforms import FakePlatforms

ORG = "org_" + "7" * 26
FAULTS = ["ok", "ok", "ok", "5xx", "429", "timeout_before", "timeout_after_accept", "crash_after_accept",
          "pause_before_accept", "pause_after_accept"]


class Crash(BaseException):
    """The worker dies (nothing in the worker catches it); its message comes back after the visibility timeout."""


step = st.one_of(
    st.tuples(st.just("deliver"), st.integers(0, 5)),
    st.tuples(st.just("duplicate"), st.integers(0, 5)),
    st.tuples(st.just("lose"), st.integers(0, 5)),
    st.tuples(st.just("advance"), st.sampled_from([0.5, 2, 10, 35, 130, 700])),
    st.tuples(st.just("tick"), st.just(0)),
)
scenario = st.fixed_dictionaries({
    "targets": st.integers(1, 2),
    "faults": st.lists(st.sampled_from(FAULTS), max_size=12),
    "steps": st.lists(step, min_size=3, max_size=25),
    "inside": st.lists(st.lists(step, max_size=6), max_size=4),  # steps run while a call is paused
})


@dataclass
class World:
    fake: FakePlatforms
    faults: list[str]
    inside: list[list[tuple]]
    queue: list[tuple[float, object]] = field(default_factory=list)
    paused_since: float | None = None
    log: list[str] = field(default_factory=list)


class InterleavingPlatforms(FakePlatforms):
    """Fake platforms whose publish takes its fault from the scenario, and may pause mid-call."""

    world: World

    def publish(self, target):
        w = self.world
        fault = w.faults.pop(0) if w.faults else "ok"
        w.log.append(f"publish {target.target_id[-6:]} {fault}")
        nested = w.paused_since is not None
        if fault == "pause_before_accept" and not nested:
            _interleave(w)
        if fault in ("5xx", "429", "timeout_before"):
            self.force(target.connection_id, {"timeout_before": "timeout_before"}.get(fault, fault))
        result = super().publish(target)
        if fault == "pause_after_accept" and not nested:
            _interleave(w)
        if fault == "timeout_after_accept":
            raise PublishError("transient", "platform timed out", ambiguous=True)
        if fault == "crash_after_accept":
            raise Crash()
        return result

    def _fault(self, connection_id):
        with self.lock:
            return self._forced[connection_id].pop(0) if self._forced.get(connection_id) else None


def _interleave(w: World) -> None:
    """Run other steps while this worker's call is in flight (at most ``call_budget_s`` of clock)."""
    steps = w.inside.pop(0) if w.inside else []
    w.paused_since = clock.now_ts()
    try:
        for s in steps:
            _run(w, s)
    finally:
        w.paused_since = None


def _send(w: World):
    def send(msg, not_before=None) -> str:
        w.queue.append((not_before.timestamp() if not_before else clock.now_ts(), msg))
        return "m"

    return send


def _deliver(w: World, index: int) -> None:
    due = [i for i, (at, _) in enumerate(w.queue) if at <= clock.now_ts() + 1e-6]
    if not due:
        return
    at, msg = w.queue.pop(due[index % len(due)])
    try:
        outcome = publisher.process(msg, w.fake)
    except publisher.ParkInDlq:
        outcome = "parked"
    except Crash:
        w.queue.append((clock.now_ts() + 30, msg))  # not deleted: SQS delivers it again
        outcome = "crash"
    w.log.append(f"deliver {msg.target_id[-6:]} {msg.reason} -> {outcome}")


def _run(w: World, s: tuple) -> None:
    kind, arg = s
    if kind == "deliver":
        _deliver(w, arg)
    elif kind == "duplicate" and w.queue:
        w.queue.append(w.queue[arg % len(w.queue)])
    elif kind == "lose" and w.queue:
        w.queue.pop(arg % len(w.queue))
    elif kind == "advance":
        seconds = arg
        if w.paused_since is not None:  # a call in flight ends within its budget (its HTTP timeout)
            budget = publishing_settings().call_budget_s
            seconds = max(0.0, min(seconds, w.paused_since + budget - clock.now_ts()))
        clock.advance(seconds)
    elif kind == "tick":
        dispatcher.tick()
    _check_never_twice(w)


def _check_never_twice(w: World) -> None:
    by_target: dict[str, int] = {}
    for p in w.fake.posts:
        by_target[p.target_id] = by_target.get(p.target_id, 0) + 1
    twice = {k: v for k, v in by_target.items() if v > 1}
    assert not twice, (twice, w.log)


def _drain(w: World, tids: list[tuple[str, str]]) -> dict[str, Target]:
    for _ in range(400):
        targets = {tid: Target.get(pid, tid, consistent_read=True) for pid, tid in tids}
        if all(t.state in ("published", "failed") for t in targets.values()):
            return targets
        due = [i for i, (at, _) in enumerate(w.queue) if at <= clock.now_ts() + 1e-6]
        if due:
            _deliver(w, 0)
            _check_never_twice(w)
            continue
        nxt = min((at for at, _ in w.queue), default=None)
        clock.advance(max(1.0, (nxt - clock.now_ts()) if nxt else 60.0))
        dispatcher.tick()
    raise AssertionError(("not finished", {t: x.state for t, x in targets.items()}, w.log))


@pytest.fixture
def model_world(lily_env, quota, frozen, monkeypatch):
    platforms = InterleavingPlatforms()
    monkeypatch.setattr("lily.publishing.messages.send", lambda *a, **k: platforms.world_send(*a, **k))
    monkeypatch.setattr("lily.publishing.messages.send_all",
                        lambda batch: [platforms.world_send(m, at) for m, at in batch])
    return platforms


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(scenario)
def test_any_interleaving_publishes_each_target_once_or_fails_it_with_a_reason(model_world, plan):
    fake = model_world
    ports = PublishingPorts(gateway=fake, posts_quota=FakeQuota(), storage_quota=FakeQuota())
    fake.posts.clear()
    w = World(fake=fake, faults=list(plan["faults"]), inside=list(plan["inside"]))
    fake.world = w
    fake.world_send = _send(w)
    # Given one post with one or two targets on fresh accounts, scheduled a few seconds ahead
    conns = [fake.add_connection(ORG, p) for p in ("x", "linkedin")[: plan["targets"]]]
    post = make_post(ports, ORG, [c.connection_id for c in conns], text=f"model {clock.now_ts()}")
    schedule_in(ports, ORG, post.post_id, 5)
    clock.advance(5)
    dispatcher.tick()
    tids = [(post.post_id, t.target_id) for t in post.targets]
    # When workers, the watchdog, redelivery and the clock interleave as drawn
    for s in plan["steps"]:
        _run(w, s)
    targets = _drain(w, tids)
    # Then each target is on the platform once and recorded with that post, or failed with its reason
    for tid, t in targets.items():
        posts = fake.posts_of(tid)
        if t.state == "published":
            assert len(posts) == 1 and t.platform_post_id == posts[0].platform_post_id, (tid, w.log)
        else:
            assert t.last_error and t.last_error.get("message"), (tid, w.log)
            assert not posts or "uncertain" in t.last_error["message"], (tid, t.last_error, w.log)
