"""Publishing fixtures: the in-process fake platforms installed as the gateway, an enterprise org."""

from __future__ import annotations

import pytest

from lily.core import clock
from lily.publishing.ports import PublishingPorts
from tests.support.fake_platforms import FakePlatforms


class FakeQuota:
    def __init__(self, limit: int = 10**9) -> None:
        self.limit = limit
        self.used: dict[str, int] = {}

    def consume(self, org_id: str, amount: int = 1) -> None:
        from lily.core.errors import ErrorCode, LilyError

        if self.used.get(org_id, 0) + amount > self.limit:
            raise LilyError(ErrorCode.PLAN_002, "quota used up")
        self.used[org_id] = self.used.get(org_id, 0) + amount

    def release(self, org_id: str, amount: int = 1) -> None:
        self.used[org_id] = max(0, self.used.get(org_id, 0) - amount)


@pytest.fixture(scope="session", autouse=True)
def faithful_emulator(emulator):
    """DynamoDB serializes writes per item; make this process's moto do the same (as local mode does)."""
    from lily.local.emulator import prepare

    prepare()
    return emulator


@pytest.fixture
def fake(lily_env):
    return FakePlatforms()


@pytest.fixture
def quota(lily_env):
    return FakeQuota()


@pytest.fixture
def ports(fake, quota):
    """Publishing's ports on the fake platforms and quota (media storage: unlimited)."""
    return PublishingPorts(gateway=fake, posts_quota=quota, storage_quota=FakeQuota())


@pytest.fixture
def frozen(lily_env):
    """Freeze the clock at a whole minute (tests then move it explicitly)."""
    start = (int(clock.now_ts()) // 60 + 1) * 60
    with clock.freeze(start):
        yield start


class MemoryQueue:
    """The publish queue in memory, on Lily's clock: messages become visible at their not_before."""

    def __init__(self, gateway) -> None:
        self.gateway = gateway  # the platforms the publisher calls (the fake platforms)
        self.messages: list[tuple[float, object]] = []
        self.sent = 0

    def send(self, msg, not_before=None) -> str:
        at = not_before.timestamp() if not_before is not None else clock.now_ts()
        self.messages.append((at, msg))
        self.sent += 1
        return f"m{self.sent}"

    def due(self) -> list:
        now = clock.now_ts()
        ready = [m for at, m in self.messages if at <= now + 1e-6]
        self.messages = [(at, m) for at, m in self.messages if at > now + 1e-6]
        return ready

    def next_at(self) -> float | None:
        return min((at for at, _ in self.messages), default=None)

    def deliver(self, gateway=None, max_rounds: int = 100) -> list[str]:
        """Process every message due now (and those they enqueue for now)."""
        from lily.publishing import publisher

        outcomes = []
        for _ in range(max_rounds):
            batch = self.due()
            if not batch:
                break
            for msg in batch:
                try:
                    outcomes.append(publisher.process(msg, gateway or self.gateway))
                except publisher.ParkInDlq:
                    outcomes.append("parked")
        return outcomes

    def run_until_idle(self, gateway=None, max_steps: int = 500) -> list[str]:
        """Deliver, jump the clock to the next message, repeat until the queue is empty."""
        outcomes = []
        for _ in range(max_steps):
            outcomes += self.deliver(gateway)
            nxt = self.next_at()
            if nxt is None:
                break
            if nxt > clock.now_ts():
                clock.advance(nxt - clock.now_ts())
        return outcomes


@pytest.fixture
def mq(lily_env, fake, monkeypatch):
    q = MemoryQueue(fake)
    monkeypatch.setattr("lily.publishing.messages.send", q.send)
    monkeypatch.setattr("lily.publishing.messages.send_all", lambda batch: [q.send(m, at) for m, at in batch])
    return q
