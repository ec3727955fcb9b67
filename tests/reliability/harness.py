"""Publishing reliability harness: N scheduled posts across several sandbox accounts, published by two
dispatchers and several publisher workers at once (two by default; the bench runs the publisher's reserved
concurrency) while faults are injected; then the ledger is checked.

Faults: 429 with a reset time (X), 5xx, slow answers, timeouts after the platform accepted the post, a
worker crash right after a platform accepted a post (the whole batch is lost and redelivered), and
duplicate SQS deliveries. Used by ``tests/reliability`` (N=200) and ``tests/bench/publishing_reliability.py``.
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
from collections import Counter, defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import httpx

from lily import composition
from lily.core import clock, functions, queues
from lily.core.aws import client
from lily.core.models import BreakerState
from lily.local import workers
from lily.publishing import dispatcher, editing, publisher, scheduling
from lily.publishing.models import Attempt, PacingState, Post, Target
from lily.publishing.ports import PublishError, PublishingPorts
from lily.publishing.schemas import PostCreate, ScheduleIn, TargetIn
from lily.social.gateway import SocialGateway

# Pacing the harness gives Lily (the platform limit it must respect): 10 posts per 4 s per account.
# (Slow enough that a crashed post is still among the 20 newest the adapters' lookup reads back.)
PACE_LIMIT, PACE_WINDOW, PACE_BURST = 10, 4.0, 3
DISPATCH_EVERY_S = 10.0  # each of the two dispatchers (half a period apart); production ticks every 60 s
ENV = {
    "LILY_SOCIAL_LINKEDIN_MIN_INTERVAL_S": "0",
    "LILY_SOCIAL_HTTP_TIMEOUT_S": "1",
    "LILY_PUBLISHING_BACKOFF_BASE_S": "0.25",
    "LILY_PUBLISHING_BACKOFF_CAP_S": "4",
    "LILY_PUBLISHING_LEASE_S": "6",
    "LILY_PUBLISHING_CALL_BUDGET_S": "3",  # a publish is one HTTP call of at most 1 s (no media here)
    "LILY_PUBLISHING_RECONCILE_DELAY_S": "4",
    "LILY_PUBLISHING_WATCHDOG_GRACE_S": "60",
    "LILY_PUBLISHING_BREAKER_OPEN_S": "2",
    "LILY_PUBLISHING_MAX_ATTEMPTS": "8",
    # the automation mix (queued, recurring, feed-created posts): a queue's next slot may be the next minute, and an
    # occurrence a few seconds ahead is made (production keeps 120 s of lead for both)
    "LILY_PUBLISHING_QUEUE_LEAD_S": "0",
    "LILY_PUBLISHING_SLOT_GAP_S": "0",
    "LILY_AUTOPOST_MIN_LEAD_S": "0",
    "LILY_PUBLISHING_PACING": json.dumps({
        p: [{"scope": "account", "limit": PACE_LIMIT, "window_s": PACE_WINDOW, "burst": PACE_BURST}]
        for p in ("x", "linkedin")}),
}
# Ten accounts: at N=200 each has 20 posts, all within the 20 newest the adapters' lookup reads back
# (their lookup does not page further back; see docs/publishing.md, "Known gaps").
ACCOUNTS = [("x", u) for u in ("alice", "bob", "carol", "frank", "grace", "heidi")] + [
    ("linkedin", u) for u in ("dave", "erin", "ivan", "judy")]
SLOWEST = 3  # the report gives the history of this many of the published targets with the longest lag
POST_PATH = {"x": "/2/tweets", "linkedin": "/rest/posts"}


class WorkerCrash(BaseException):
    """The Lambda runtime dying mid-batch (not an Exception: nothing in the worker catches it)."""


@dataclass
class Chaos:
    p_fault: float = 0.2  # per platform publish call: 429 (X), 5xx, slow, timeout after accept
    p_crash: float = 0.02  # per accepted post: the worker dies before recording it
    # ...and the Nth accepted post always does, so every run exercises the crash path: with the random draw alone,
    # about 3 % of 200-post runs crashed nowhere (the draws' order follows thread timing) and the check failed.
    crash_at: int = 20  # 0: none forced
    p_duplicate: float = 0.05  # per delivered message: SQS delivers it again
    rng: random.Random = field(default_factory=lambda: random.Random(42))
    pushed: Counter = field(default_factory=Counter)
    crashes: int = 0
    duplicates: int = 0


class History:
    """What happened to each target, in order: claims (who, lease end), platform calls and what lookup saw."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.events: dict[str, list[str]] = defaultdict(list)

    def add(self, target_id: str, what: str) -> None:
        line = f"{time.monotonic() - self.t0:8.3f}s {threading.current_thread().name:>12} {what}"
        with self.lock:
            self.events[target_id].append(line)

    def claim_recorder(self, claim):
        """Wrap the publisher's claim so every won claim (and takeover) lands in the history."""

        def recorded(t, msg):
            before = (t.state, t.attempt_id, t.lease_until)
            won = claim(t, msg)
            if won is not None:
                took = "takeover of " + str(before[1]) if before[0] == "publishing" else "claim"
                self.add(t.target_id, f"{took} -> {won[1]} lease until {clock.iso(won[0].lease_until)} "
                                      f"(attempt {int(won[0].attempts or 0)}, msg {msg.reason})")
            return won

        return recorded

    def defer_recorder(self, defer):
        """Wrap the publisher's deferral so every wait (not due, paced, claimed, breaker) lands in the history."""

        def recorded(msg, until, why, place=None, **kw):
            at = until if isinstance(until, datetime) else datetime.fromtimestamp(until, tz=UTC)
            what = f"({why}) until {clock.iso(at)}" + (f" place {place:.2f}" if place else "")
            try:
                out = defer(msg, until, why, place, **kw)
            except Exception:  # a short wait slept in the worker (publisher._WaitHere)
                self.add(msg.target_id, f"wait in the worker {what}")
                raise
            self.add(msg.target_id, f"defer {what}")
            return out

        return recorded


class ChaosGateway:
    """The real social gateway, recording every platform call and crashing the worker now and then."""

    def __init__(self, inner: SocialGateway, chaos: Chaos, sandboxes: dict, history: History | None = None) -> None:
        self.inner = inner
        self.sandboxes = sandboxes
        self.chaos = chaos
        self.history = history or History()
        self.lock = threading.Lock()
        self.calls: dict[str, list[float]] = defaultdict(list)
        self.rate_limited = 0
        self.accepted = 0  # posts the platforms accepted, for Chaos.crash_at
        self.armed = True

    def connection(self, org_id, connection_id):
        return self.inner.connection(org_id, connection_id)

    def validate(self, *a, **kw):
        return self.inner.validate(*a, **kw)

    def lookup(self, target):
        self.history.add(target.target_id, f"lookup since {clock.iso(target.since) if target.since else '-'}")
        try:
            found = self.inner.lookup(target)
        except PublishError as e:
            self.history.add(target.target_id, f"lookup failed: {e.kind} {e.message[:80]}")
            raise
        self.history.add(target.target_id, f"lookup saw {found.platform_post_id if found else 'nothing'}")
        return found

    def _inject(self, platform: str) -> str:
        from lily.local.sandboxes.kit import Fault

        kinds = ["5xx", "slow", "timeout_after_accept"] + (["429"] if platform == "x" else [])
        kind = self.chaos.rng.choice(kinds)
        state = self.sandboxes[platform].state
        with state.lock:
            state.faults.append(Fault(kind=kind, count=1, reset_s=2, path=POST_PATH[platform], method="POST",
                                      delay_s=1.5 if kind == "timeout_after_accept" else 0.3))
            self.chaos.pushed[(platform, kind)] += 1
        return kind

    def publish(self, target):
        with self.lock:
            self.calls[target.connection_id].append(time.monotonic())
            inject = self.armed and self.chaos.rng.random() < self.chaos.p_fault
        pushed = self._inject(target.platform) if inject else None
        self.history.add(target.target_id, "publish" + (f" (queued a {pushed} fault)" if pushed else ""))
        try:
            result = self.inner.publish(target)
        except PublishError as e:
            self.history.add(target.target_id, f"publish failed: {e.kind}{' ambiguous' if e.ambiguous else ''}")
            if e.kind == "rate_limited":
                with self.lock:
                    self.rate_limited += 1
            raise
        with self.lock:
            self.accepted += 1
            forced = self.accepted == self.chaos.crash_at
            crash = self.armed and (forced or self.chaos.rng.random() < self.chaos.p_crash)
        if crash:
            self.chaos.crashes += 1
            self.history.add(target.target_id, f"publish accepted {result.platform_post_id}; the worker crashes")
            raise WorkerCrash()
        self.history.add(target.target_id, f"publish accepted {result.platform_post_id}")
        return result


POLLING = ("sqs:ReceiveMessage", "sqs:DeleteMessageBatch", "sqs:ChangeMessageVisibility")


class AwsCalls:
    """Counts the AWS API calls Lily's workers make (every thread but the harness's own, which polls)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_operation: Counter = Counter()

    def __enter__(self) -> AwsCalls:
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        calls = self

        def counted(client, operation_name, api_params):
            if threading.current_thread() is not threading.main_thread():
                with calls.lock:
                    calls.by_operation[f"{client.meta.service_model.service_name}:{operation_name}"] += 1
            return original(client, operation_name, api_params)

        BaseClient._make_api_call = counted
        return self

    def __exit__(self, *exc: object) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original

    def total(self) -> int:
        """Calls made by Lily's code (the queue polling of Lambda's event source mapping is not Lily's)."""
        return sum(v for k, v in self.by_operation.items() if k not in POLLING)


def approve(authorize_url: str, user: str) -> dict[str, str]:
    r = httpx.get(f"{authorize_url}&{urlencode({'auto': '1', 'sandbox_user': user})}", follow_redirects=False,
                  timeout=5)
    assert r.status_code == 302, r.text
    loc = urlparse(r.headers["location"])
    return {"path": loc.path, "query": loc.query, **{k: v[0] for k, v in parse_qs(loc.query).items()}}


def connect(http, headers: dict, org_id: str, platform: str, user: str) -> str:
    r = http.post(f"/api/orgs/{org_id}/social/connect/{platform}", headers=headers)
    assert r.status_code == 201, r.text
    redirect = approve(r.json()["authorize_url"], user)
    r = http.get(f"{redirect['path']}?{redirect['query']}")
    assert r.status_code == 200, r.text
    body = r.json()
    if body["status"] == "select_account":
        ids = [a["account_id"] for a in body["accounts"]]
        r = http.post(f"/api/orgs/{org_id}/social/selections/{body['selection_id']}", json={"account_ids": ids},
                      headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
    conns = body.get("connections") or [body.get("connection")]
    return conns[0]["connection_id"]


class UnlimitedQuota:
    """The plan quota is not under test here (10,000 posts would need 100 enterprise orgs)."""

    def consume(self, org_id: str, amount: int = 1) -> None:
        pass

    def release(self, org_id: str, amount: int = 1) -> None:
        pass


@dataclass
class Report:
    n: int
    published: int = 0
    failed: int = 0
    lost: int = 0  # published in Lily but not exactly once on the platform
    pending: int = 0  # neither published nor failed when the time ran out
    duplicated: int = 0
    failed_reasons: Counter = field(default_factory=Counter)
    unexplained_failures: int = 0
    platform_429: int = 0
    injected_429: int = 0
    pacing_violations: int = 0
    lag_p50: float = 0.0
    lag_p99: float = 0.0
    lag_max: float = 0.0
    injected: dict = field(default_factory=dict)
    crashes: int = 0
    duplicates_sent: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0  # CPU of this process (Lily's workers, the sandboxes, the harness) during the run
    aws_calls: int = 0
    aws_by_operation: dict = field(default_factory=dict)
    counters: dict = field(default_factory=dict)
    explained: list[str] = field(default_factory=list)  # the history of every duplicated or lost target
    slowest: list[str] = field(default_factory=list)  # the history of the published targets with the longest lag

    sandbox_ceiling: float = 0.0
    setup: tuple = (0.0, 0, {})  # creating and scheduling the posts: seconds, AWS calls, calls by operation
    mix: dict = field(default_factory=dict)  # posts by origin: scheduled, queued, recurring, feed
    lag_by_origin: dict = field(default_factory=dict)  # origin -> (p50, max) seconds

    @property
    def done(self) -> int:
        return self.published + self.failed

    @property
    def calls_per_post(self) -> float:
        return self.aws_calls / max(1, self.published)

    def lines(self) -> list[str]:
        return [
            f"targets: {self.n}  published: {self.published}  failed: {self.failed}  pending: {self.pending}  "
            f"lost: {self.lost}  "
            f"duplicated: {self.duplicated}",
            f"failure reasons: {dict(self.failed_reasons)}  unexplained: {self.unexplained_failures}",
            f"429s seen: {self.platform_429}  injected 429s: {self.injected_429}  "
            f"caused by Lily (not injected): {max(0, self.platform_429 - self.injected_429)}  "
            f"pacing-window violations: {self.pacing_violations}",
            f"injected faults: {self.injected}  worker crashes: {self.crashes}  "
            f"duplicate deliveries: {self.duplicates_sent}",
            f"publish lag p50 {self.lag_p50:.2f}s  p99 {self.lag_p99:.2f}s  max {self.lag_max:.2f}s  "
            f"(run {self.seconds:.1f}s)",
            f"mix: {self.mix}  lag (p50, max) by origin: {self.lag_by_origin}",
            f"throughput {self.done / max(self.seconds, 1e-9):.2f} targets/s beside the pacing ceiling "
            f"{pacing_ceiling():.2f}/s (sandbox-only ceiling: {self.sandbox_ceiling:.1f} posts/s); CPU of this "
            f"process {self.cpu_s:.0f} s = {self.cpu_s / max(1, self.done) * 1000:.0f} ms per target",
            f"AWS calls by Lily's workers: {self.aws_calls} = {self.calls_per_post:.1f} per published post "
            f"(queue polling by the runtime not counted); "
            f"{dict(sorted(self.aws_by_operation.items(), key=lambda kv: -kv[1]))}",
            f"counters: {self.counters}",
            f"setup (create + schedule {self.n} posts): {self.setup[0]:.1f}s = {self.n / max(self.setup[0], 1e-9):.1f} "
            f"posts/s, {self.setup[1] / max(1, self.n):.1f} AWS calls per post {self.setup[2]}",
            *self.explained,
            *self.slowest,
        ]


def pacing_ceiling() -> float:
    """Posts per second Lily may send at most: every account at its pacing rate (burst aside)."""
    return len(ACCOUNTS) * (PACE_LIMIT - PACE_BURST) / PACE_WINDOW


def sandbox_ceiling(gateway: ChaosGateway, conns: list[tuple[str, str]], org_id: str, seconds: float = 3.0) -> float:
    """Posts per second the sandboxes take from the social adapters alone (no Lily pipeline), two threads."""
    from lily.publishing.ports import PublishTarget

    stop_at = time.monotonic() + seconds
    done = Counter()

    def probe(i: int) -> None:
        k = 0
        while time.monotonic() < stop_at:
            platform, cid = conns[(i + 2 * k) % len(conns)]
            target = PublishTarget(target_id=f"probe-{i}-{k}", post_id="probe", org_id=org_id, connection_id=cid,
                                   platform=platform, text=f"ceiling probe {i} {k} {time.time()}")
            k += 1
            try:
                gateway.inner.publish(target)
            except PublishError:  # a fault the run queued and left: not a post
                continue
            done[i] += 1

    threads = [threading.Thread(target=probe, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return sum(done.values()) / seconds


def _finished() -> int:
    """Targets Lily has recorded as published or failed in this process (its counters)."""
    from lily.core.observability import counter_value

    return counter_value("publishing_posts_published_total") + counter_value("publishing_posts_failed_total")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def warm_clients() -> None:
    """Build the publisher's table clients once, before its workers start. pynamodb builds a model's client at
    its first call without a lock, so ten workers starting together each built their own for every table the
    setup had not used (a botocore client loads its service model and endpoint rules: a third of the workers'
    CPU at N=300). A Lambda container builds each of its clients once, in its own process."""
    for model in (Post, Target, PacingState, Attempt, BreakerState):
        assert model._get_connection().connection.client is not None


def run(n: int, http, suite, sandboxes: dict, headers: dict, org_id: str, *, timeout_s: float = 240,
        chaos: Chaos | None = None, spread_s: float = 20, publishers: int = 2, until: float | None = None,
        mix: dict[str, int] | None = None) -> Report:
    """``timeout_s`` bounds the run phase (after setup); ``until`` (epoch seconds), if given, ends it then too.
    ``mix``: how many of the ``n`` posts are made by automation instead of a direct schedule: ``queued`` (a posting
    queue's next slot), ``recurring`` (a one-occurrence RRULE, made by the automation run), ``feed`` (a feed item
    dropped into a queue; needs the feeds sandbox)."""
    chaos = chaos or Chaos()
    sandboxes["linkedin"].state.config["member_read"] = True  # reconciliation reads member posts (a switch)
    # The platform's own limit is the one Lily is told to pace to (plus room for the ceiling probe), not X's
    # default 100 per 15 minutes: a 429 then means Lily broke its pacing.
    sandboxes["x"].state.config["tweet_limit_15m"] = 2 * int(PACE_LIMIT * 900 / PACE_WINDOW)
    sqs = client("sqs")
    url = queues.queue_url("publish")
    # A crashed invocation's messages come back after the visibility timeout: keep it short here.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "4"})
    workers.RETRY_DELAY_S = 0

    conns = [(platform, connect(http, headers, org_id, platform, user)) for platform, user in ACCOUNTS]
    history = History()
    gateway = ChaosGateway(SocialGateway(), chaos, sandboxes, history)
    # The harness's ports, passed explicitly: its scripted platforms, and no plan quota on posts (the publisher
    # worker gets the same gateway through its handler factory, in _run).
    ports = PublishingPorts(gateway=gateway, posts_quota=UnlimitedQuota(),
                            storage_quota=composition.publishing_ports().storage_quota)
    claim, defer = publisher._claim, publisher._defer
    publisher._claim = history.claim_recorder(claim)
    publisher._defer = history.defer_recorder(defer)
    try:
        return _run(n, suite, sandboxes, org_id, conns, ports, chaos, timeout_s, spread_s, sqs, url, publishers,
                    until, mix or {})
    finally:
        publisher._claim, publisher._defer = claim, defer
        workers.RETRY_DELAY_S = 1


def _automated(ports: PublishingPorts, sandboxes: dict, org_id: str, conns, mix: dict[str, int],
               stamp: str) -> list[tuple[str, str, str, str]]:
    """Posts made by the automation paths, each going out through the same dispatcher and publisher:
    ``(post_id, target_id, text, origin)``."""
    from lily.publishing import autofeeds, queues, recurring
    from lily.publishing.schemas import FeedIn, QueueIn, RecurringIn, SlotIn
    from lily.publishing.slots import WEEKDAYS

    sched = composition.scheduling_ports()._replace(posts=ports)
    made: list[tuple[str, str, str]] = []  # (post_id, text, origin)
    queued, feed_items = mix.get("queued", 0), mix.get("feed", 0)
    queue_of: dict[str, str] = {}
    if queued or feed_items:
        # one queue per account, a slot at each minute from the second next on (UTC org): the posts take them in turn
        now = datetime.now(UTC)
        minutes = [(now + timedelta(minutes=k)).replace(second=0, microsecond=0) for k in range(2, 12)]
        slots = [SlotIn(weekday=WEEKDAYS[m.weekday()], time=m.strftime("%H:%M")) for m in minutes]
        for platform, cid in conns:
            queue_of[cid] = queues.create(sched, org_id, QueueIn(name=f"q {cid}", connection_ids=[cid],
                                                                 slots=slots)).queue_id
    for i in range(queued):
        _platform, cid = conns[i % len(conns)]
        text = f"Reliability queued {i} {stamp}"
        post = editing.create_post(ports, org_id, PostCreate(text=text, targets=[TargetIn(connection_id=cid)]))
        queues.enqueue(sched, org_id, post.post_id, queue_of[cid])
        made.append((post.post_id, text, "queued"))
    recurring_texts = {}
    for i in range(mix.get("recurring", 0)):
        _platform, cid = conns[i % len(conns)]
        text = f"Reliability recurring {i} {stamp}"
        at = datetime.now(UTC) + timedelta(seconds=75 + i % 10)
        rule = (f"FREQ=DAILY;BYHOUR={at.hour};BYMINUTE={at.minute};BYSECOND={at.second};COUNT=1")
        recurring.create(sched, org_id, RecurringIn(name=f"r{i}", text=text, rrule=rule, count=1,
                                                    connection_ids=[cid]))
        recurring_texts[text] = "recurring"
    if recurring_texts:
        recurring.run_due(sched, 10_000)  # what the automation schedule does every five minutes
    feeds_base = sandboxes["feeds"].base_url if feed_items else ""
    for k, (platform, cid) in enumerate(conns):
        titles = [f"Reliability feed {i} {stamp}" for i in range(feed_items) if i % len(conns) == k]
        if not titles:
            continue
        items = "".join(f"<item><title>{t}</title><link>{feeds_base}/articles/{stamp}-{k}-{j}</link>"
                        f"<guid>{stamp}-{k}-{j}</guid></item>" for j, t in enumerate(titles))
        name = f"rel-{stamp}-{k}.rss"
        httpx.post(f"{feeds_base}/_sandbox/feeds/{name}", json={
            "body": f'<?xml version="1.0"?><rss version="2.0"><channel><title>r</title>{items}</channel></rss>'})
        feed = autofeeds.create(sched, org_id, FeedIn(url=f"{feeds_base}/feeds/{name}", connection_ids=[cid],
                                                      template="{title}", mode="queue", queue_id=queue_of[cid],
                                                      daily_cap=100, backfill=len(titles)))
        autofeeds.poll(sched, composition.approval_gate, autofeeds._load(org_id, feed.feed_id))
        recurring_texts |= {t: "feed" for t in titles}
    if recurring_texts:
        for post in Post.query(org_id):
            if post.text in recurring_texts:
                made.append((post.post_id, post.text, recurring_texts[post.text]))
    out = []
    for post_id, text, origin in made:
        targets = list(Target.query(post_id))
        assert len(targets) == 1 and targets[0].state == "scheduled", (origin, text, [t.state for t in targets])
        out.append((post_id, targets[0].target_id, text, origin))
    return out


def _run(n, suite, sandboxes, org_id, conns, ports, chaos, timeout_s, spread_s, sqs, url, publishers,
         until, mix) -> Report:
    gateway = ports.gateway
    automated_n = sum(mix.values())
    plain_n = n - automated_n
    # Given N posts, one per target, round-robin over the accounts, due within the next ``spread_s``
    stamp = f"{time.time():.0f}"

    def create(i: int) -> tuple[str, str, str]:
        _platform, cid = conns[i % len(conns)]
        text = f"Reliability post {i} {stamp}"
        post = editing.create_post(ports, org_id, PostCreate(text=text, targets=[TargetIn(connection_id=cid)]))
        return post.post_id, post.targets[0].target_id, text

    # Four at a time (the emulator serializes writes per item, transactions included). Scheduling takes about
    # as long as creating: the first post is due once the last is scheduled, so no lag is setup time.
    created_in = time.monotonic()
    setup_calls = AwsCalls().__enter__()
    with ThreadPoolExecutor(max_workers=4) as pool:
        created = list(pool.map(create, range(plain_n)))
    texts = {tid: text for _post_id, tid, text in created}
    targets = [(post_id, tid) for post_id, tid, _text in created]
    origin = {tid: "scheduled" for _post_id, tid, _text in created}
    # the automated posts are made here, due a minute or more ahead, before the direct schedules: no lag is setup
    automated_in = time.monotonic()
    for post_id, tid, text, where in _automated(ports, sandboxes, org_id, conns, mix, stamp):
        targets.append((post_id, tid))
        texts[tid] = text
        origin[tid] = where
    created_in += time.monotonic() - automated_in  # creating took this long without the automation's setup
    start = datetime.now(UTC) + timedelta(seconds=2 + time.monotonic() - created_in)

    def schedule(i: int) -> None:
        at = max(start + timedelta(seconds=spread_s * i / max(1, n)), datetime.now(UTC) + timedelta(seconds=1))
        scheduling.schedule(ports, org_id, targets[i][0], ScheduleIn(scheduled_at=at))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(schedule, range(plain_n)))
    assert len(targets) == n, (len(targets), n)
    setup_calls.__exit__()
    setup = (time.monotonic() - created_in, setup_calls.total(), dict(setup_calls.by_operation))

    warm_clients()
    poller = next(p for p in suite.pollers if p.trigger.queue == "publish")
    original = poller.handler
    scripted = functions.load_handler_module(poller.spec).handler_for(gateway)  # the worker on the harness's platforms

    def duplicating(event, context):
        for r in event["Records"]:
            if chaos.rng.random() < chaos.p_duplicate:
                sqs.send_message(QueueUrl=url, MessageBody=r["body"])
                chaos.duplicates += 1
        return scripted(event, context)

    poller.handler = duplicating
    stop = threading.Event()

    def publisher_loop() -> None:  # long polls, as Lambda's event source mapping does (an idle worker waits in it)
        while not stop.is_set():
            try:
                poller.poll_once(wait_s=1)
            except WorkerCrash:
                continue
            except Exception:  # noqa: BLE001 - emulator hiccup: keep going like the poller does
                stop.wait(0.2)

    def dispatcher_loop(offset_s: float) -> None:
        stop.wait(offset_s)
        while not stop.is_set():
            try:
                dispatcher.tick()
            except Exception:  # noqa: BLE001
                pass
            stop.wait(DISPATCH_EVERY_S)

    threads = [threading.Thread(target=publisher_loop, daemon=True, name=f"publisher-{i}")
               for i in range(1, publishers + 1)]
    threads += [threading.Thread(target=dispatcher_loop, args=((i - 1) * DISPATCH_EVERY_S / 2,), daemon=True,
                                 name=f"dispatcher-{i}") for i in (1, 2)]
    aws = AwsCalls().__enter__()
    t0, cpu0 = time.monotonic(), time.process_time()
    for th in threads:
        th.start()

    # When they run until every target is published or failed (or the time is up). Lily's own counters say
    # how many finished (no AWS call: reading N targets every second would load the emulator more than Lily
    # does); the table is read when they say all did, and every 30 s in case they miscount.
    pending = set(targets)
    deadline = min(t0 + timeout_s, t0 + until - time.time()) if until else t0 + timeout_s
    finished_before, checked = _finished(), t0
    try:
        while pending and time.monotonic() < deadline:
            time.sleep(1.0)
            left = n - (_finished() - finished_before)
            if left < max(3, n // 50):
                gateway.armed = False  # let the last few finish without new faults
            if left > 0 and time.monotonic() - checked < 30:
                continue
            checked = time.monotonic()
            keys = list(pending)
            for i in range(0, len(keys), 100):
                for t in Target.batch_get(keys[i:i + 100], attributes_to_get=["post_id", "target_id", "state"]):
                    if t.state in ("published", "failed"):
                        pending.discard((t.post_id, t.target_id))
        stop.set()
        for th in threads:
            th.join(timeout=10)
    finally:
        aws.__exit__()
    poller.handler = original
    elapsed, cpu = time.monotonic() - t0, time.process_time() - cpu0

    # Then read the ledger: Lily's targets against the sandboxes' own record of posts
    remaining = Counter()
    for platform in ("x", "linkedin"):
        with sandboxes[platform].state.lock:
            for f in sandboxes[platform].state.faults:
                remaining[(platform, f.kind)] += f.count
    injected = {f"{p}:{k}": v - remaining[(p, k)] for (p, k), v in sorted(chaos.pushed.items())}
    posts_by_text: Counter = Counter()
    for platform in ("x", "linkedin"):
        for p in sandboxes[platform].state.posts.values():
            if not p.get("deleted"):
                posts_by_text[p.get("text") or p.get("commentary") or ""] += 1
    report = Report(n=n, injected=injected, crashes=chaos.crashes, duplicates_sent=chaos.duplicates,
                    seconds=elapsed, cpu_s=cpu, aws_calls=aws.total(), aws_by_operation=dict(aws.by_operation),
                    setup=setup)
    report.injected_429 = injected.get("x:429", 0)
    report.platform_429 = gateway.rate_limited
    lags = []
    slow: list[tuple[float, str, Target]] = []
    lags_by_origin: dict[str, list[float]] = defaultdict(list)
    report.mix = dict(Counter(origin.values()))
    final = {}
    for i in range(0, len(targets), 100):
        final.update({(t.post_id, t.target_id): t for t in Target.batch_get(targets[i:i + 100])})
    for post_id, tid in targets:
        t = final[(post_id, tid)]
        on_platform = posts_by_text[texts[tid]]
        if on_platform > 1:
            report.duplicated += 1
        if t.state == "published":
            report.published += 1
            if on_platform != 1:
                report.lost += 1
            lags.append((t.published_at - t.scheduled_at).total_seconds())
            lags_by_origin[origin[tid]].append(lags[-1])
            slow.append((lags[-1], tid, t))
        elif t.state == "failed":
            report.failed += 1
            reason = (t.last_error or {}).get("kind")
            report.failed_reasons[reason or "none"] += 1
            if not reason or not (t.last_error or {}).get("message"):
                report.unexplained_failures += 1
        else:
            report.pending += 1
        if on_platform > 1 or (t.state == "published") != (on_platform == 1):
            report.explained += [f"target {tid}: {t.state} in Lily (post {t.platform_post_id}, "
                                 f"{int(t.attempts or 0)} attempts), {on_platform} on the platform; history:",
                                 *("    " + line for line in gateway.history.events.get(tid, []))]
    for lag, tid, t in sorted(slow, key=lambda x: x[0], reverse=True)[:SLOWEST]:
        report.slowest += [f"slow target {tid} ({t.platform}, {t.connection_id}): lag {lag:.1f}s, scheduled "
                           f"{clock.iso(t.scheduled_at)}, published {clock.iso(t.published_at)}; history:",
                           *("    " + line for line in gateway.history.events.get(tid, []))]
    for times in gateway.calls.values():
        window: deque[float] = deque()
        for ts in sorted(times):
            window.append(ts)
            while window and window[0] <= ts - PACE_WINDOW:
                window.popleft()
            if len(window) > PACE_LIMIT:
                report.pacing_violations += 1
    from lily.core.observability import snapshot

    report.counters = {name: sum(s["value"] for s in series) for name, series in snapshot().items()
                       if name.startswith("publish")}
    for name, key in (("publish_deferred_total", "deferred"), ("publish_paced_total", "paced")):
        by_reason: Counter = Counter()
        for series in snapshot().get(name, []):
            by_reason[series["dimensions"].get("reason")] += series["value"]
        report.counters[key] = dict(by_reason)
    report.lag_p50 = statistics.median(lags) if lags else 0.0
    report.lag_p99 = _pct(lags, 0.99)
    report.lag_max = max(lags, default=0.0)
    report.lag_by_origin = {k: (round(statistics.median(v), 2), round(max(v), 2)) for k, v in lags_by_origin.items()}
    report.sandbox_ceiling = sandbox_ceiling(gateway, conns, org_id)
    return report
