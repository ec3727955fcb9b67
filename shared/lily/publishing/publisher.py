"""The publish worker: queued → publishing → published | failed, exactly once per target.

One message names one target and the dispatch it belongs to. The worker:

1. ignores messages for unknown targets, other dispatches (rescheduled or cancelled) and finished targets;
2. waits (re-enqueues itself with a delay, not an attempt) while the target is not yet due, while a
   breaker (platform or connection) is open, or while another worker's claim cannot be taken over yet;
   without a pacing slot it takes a place in the account's pacing line and comes back then. A wait for the
   due instant, a breaker or a pacing slot of at most ``wait_in_worker_s`` is slept in the worker instead
   (twice per message at most): nothing is claimed while it sleeps, and a delayed message would come back a
   whole second later at best, behind whatever backlog the queue holds;
3. claims the target with a conditional write (``queued`` → ``publishing`` with a fresh ``attempt_id``
   and a lease; or takes over a claim whose lease has ended, checked by the write itself), so two workers
   can never both call the platform;
4. when a previous attempt may have posted (a timeout after sending, a worker that died mid-call),
   looks the post up on the platform first and records it instead of posting again;
5. calls the platform only while at least ``call_budget_s`` of its lease is left (renewing it first when
   the work before took long), so no takeover can start while its call may still reach the platform;
6. records ``published`` (post id and URL) or, for a retryable failure, goes back to ``queued`` with an
   exponential, jittered delay that honours the platform's reset time (a new delayed message; the current
   one is acknowledged), or ``failed`` with the taxonomy code and the platform's message for a permanent
   failure or after the last attempt.

A target failed after its last retry keeps its message failing (:class:`ParkInDlq`), so SQS's redrive
moves it to the DLQ, where the admin re-queue endpoint finds it (:mod:`lily.publishing.dlq`).
Retry attempts live on the target (``attempts``), not in SQS receive counts, so deferrals never burn
them; the DLQ's ``maxReceiveCount`` still catches poison messages and crash loops.

The protocol, its invariants and the tests that hold each are in ``docs/publishing.md`` ("Exactly once").
This module stays whole (~380 lines) because it is that one state machine.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Literal

from aws_lambda_powertools.metrics import MetricUnit

from lily.core import breaker, clock, events, ids
from lily.core.db import won
from lily.core.models import BreakerState
from lily.core.observability import count, logger, observe
from lily.publishing import first_comments, messages, pacing
from lily.publishing.media import download_url, media_items
from lily.publishing.messages import PublishMessage
from lily.publishing.models import Attempt, Post, Target
from lily.publishing.pacing import Slot
from lily.publishing.ports import PlatformGateway, PublishError, PublishOutcome, PublishTarget
from lily.publishing.retry import backoff_delay
from lily.publishing.settings import publishing_settings
from lily.publishing.states import refresh_post_status, targets_of, watch_sk

Outcome = Literal["published", "reconciled", "retry", "failed", "deferred", "ignored", "parked", "busy"]
BREAKER_KINDS = {"transient", "rate_limited", "unknown"}
PLATFORM_BREAKER_KINDS = {"transient", "unknown"}


class ParkInDlq(Exception):  # noqa: N818 - it is a signal, not an error
    """Report this message as failed so the redrive policy moves it to the DLQ."""


def _now() -> datetime:
    return clock.now()


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=_now().tzinfo)


def _watch(at: datetime, t: Target):
    """The due-index action that sets ``t``'s watchdog instant ``watchdog_grace_s`` after ``at``."""
    return Target.due_sk.set(watch_sk(at + timedelta(seconds=publishing_settings().watchdog_grace_s), t.target_id))


class _WaitHere(Exception):  # noqa: N818 - it is a signal, not an error
    """A wait short enough to sleep in the worker (``wait_in_worker_s``) instead of re-enqueueing the message."""

    def __init__(self, at: datetime, why: str, place: float | None) -> None:
        super().__init__(why)
        self.at, self.why, self.place = at, why, place


WAITS_IN_WORKER = 2  # short waits slept per message at most; the next one goes back through the queue


def _defer(msg: PublishMessage, until: float | datetime, why: str, place: float | None = None, *,
           wait_here: bool = False) -> Outcome:
    """Come back at ``until``: a new delayed message (this one is done), or, with ``wait_here`` and a wait of at
    most ``wait_in_worker_s``, :class:`_WaitHere` for :func:`process` to sleep it out and try again."""
    at = until if isinstance(until, datetime) else _at(until)
    if wait_here and (at - _now()).total_seconds() <= publishing_settings().wait_in_worker_s:
        raise _WaitHere(at, why, place if place is not None else msg.place)
    messages.send(msg.model_copy(update={"reason": "defer", "place": place if place is not None else msg.place}),
                  not_before=at)
    count("publish_deferred_total", reason=why)
    return "deferred"


def _wait_in_line(t: Target, msg: PublishMessage, slot: Slot, wait_here: bool = False) -> Outcome:
    """Come back at the pacing slot's instant; a wait past the watchdog instant moves it (the target progresses)."""
    at = _at(slot.at)
    key = watch_sk(at + timedelta(seconds=publishing_settings().watchdog_grace_s), t.target_id)
    if t.state == "queued" and t.due_sk is not None and t.due_sk < key:
        won(lambda: t.update(actions=[Target.due_sk.set(key)],
                             condition=(Target.state == "queued") & (Target.due_sk == t.due_sk)
                             & (Target.dispatch_id == t.dispatch_id)))
    return _defer(msg, at, "paced", slot.place, wait_here=wait_here)


def _error_json(e: PublishError) -> dict:
    return {"code": e.code.value, "kind": e.kind, "message": e.message[:1000], "platform_status": e.platform_status,
            "platform_code": e.platform_code, "at": clock.iso()}


def _audit(t: Target, attempt_id: str, number: int, outcome: str, started: float, *,
           error: PublishError | None = None, result: PublishOutcome | None = None) -> None:
    now = _now()
    Attempt(t.target_id, f"{clock.iso(now)}#{attempt_id}", post_id=t.post_id, org_id=t.org_id, platform=t.platform,
            connection_id=t.connection_id, attempt_id=attempt_id, number=number, outcome=outcome,
            error=_error_json(error) if error else None, duration_ms=int((time.monotonic() - started) * 1000),
            platform_post_id=result.platform_post_id if result else None, at=now,
            expires_at=now + timedelta(days=publishing_settings().audit_ttl_days)).save()


def _build_target(t: Target) -> tuple[PublishTarget, list[str], bool]:
    """What to publish for ``t``, the ids of media it names that no longer exist, and whether its post is cleared
    to go out (no approval needed, or approved: read here, after the claim, whatever the target's state says)."""
    try:
        post = Post.get(t.org_id, t.post_id, consistent_read=True)
        text, media_ids, first = (post.text or "", list(post.media_ids or []), post.first_comment)
        cleared = post.approval in (None, "approved")
    except Post.DoesNotExist:
        text, media_ids, first, cleared = "", [], None, True
    if t.text is not None:
        text = t.text
    if t.media_ids is not None:
        media_ids = t.media_ids
    if t.first_comment is not None:
        first = t.first_comment
    since = (t.first_attempt_at or _now()) - timedelta(seconds=5)
    media, missing = media_items(t.org_id, media_ids)
    media = [m.model_copy(update={"url": download_url(m.key)}) for m in media]  # presigning is local: no request
    return PublishTarget(target_id=t.target_id, post_id=t.post_id, org_id=t.org_id, connection_id=t.connection_id,
                         platform=t.platform, text=text, media=media, first_comment=first, since=since), \
        missing, cleared


def _takeover_at(t: Target) -> datetime:
    """When another worker may take over ``t``'s claim: its lease has ended and a request its holder sent
    (at the latest ``call_budget_s`` before the lease's end) has had ``reconcile_delay_s`` to land."""
    return t.lease_until + timedelta(seconds=publishing_settings().reconcile_delay_s)


def _claim(t: Target, msg: PublishMessage) -> tuple[Target, str] | None:
    """Move the target to publishing under a fresh attempt id; None when someone else owns it.

    From ``queued``: conditional on the attempt id it was read with. A takeover (from ``publishing``) is
    conditional on that attempt id *and* on its lease having ended ``reconcile_delay_s`` before the
    write (see :func:`_takeover_at`), and sets ``reconcile``: the previous holder may have posted.
    """
    s = publishing_settings()
    now = _now()
    attempt_id = ids.new_id("att")
    lease = now + timedelta(seconds=s.lease_s)
    takeover = t.state == "publishing"
    cond = (Target.dispatch_id == msg.dispatch_id) & (Target.state == t.state)
    cond &= (Target.attempt_id == t.attempt_id) if t.attempt_id else Target.attempt_id.does_not_exist()
    if takeover:
        cond &= Target.lease_until < now - timedelta(seconds=s.reconcile_delay_s)
    actions = [Target.state.set("publishing"), Target.attempt_id.set(attempt_id), Target.lease_until.set(lease),
               Target.attempts.add(1), Target.updated_at.set(now), _watch(lease, t)]
    if t.first_attempt_at is None:
        actions.append(Target.first_attempt_at.set(now))
    if takeover:  # the previous holder died or timed out mid-call: it may have posted
        actions.append(Target.reconcile.set(True))
    if not won(lambda: t.update(actions=actions, condition=cond)):
        return None
    if takeover:
        logger.warning("took over an expired publishing claim", extra={"target_id": t.target_id})
        count("publish_takeovers_total", platform=t.platform)
    return t, attempt_id


def _holding(attempt_id: str):
    return (Target.state == "publishing") & (Target.attempt_id == attempt_id)


def _published(t: Target, attempt_id: str, result: PublishOutcome, outcome: Outcome,
               siblings: list[Target], target: PublishTarget | None = None) -> Outcome:
    now = _now()
    if not won(lambda: t.update(actions=[
            Target.state.set("published"), Target.platform_post_id.set(result.platform_post_id),
            Target.platform_url.set(result.url) if result.url else Target.platform_url.remove(),
            Target.published_at.set(now), Target.due_shard.remove(), Target.due_sk.remove(),
            Target.lease_until.remove(), Target.next_attempt_at.remove(), Target.reconcile.set(False),
            Target.updated_at.set(now)], condition=_holding(attempt_id))):
        # Cannot happen while the lease outlasts the call (see call_budget_s); if it does, the new holder
        # reconciles first and finds this post.
        logger.error("published after losing the claim", extra={"target_id": t.target_id,
                                                                "platform_post_id": result.platform_post_id})
        count("publish_claim_lost_total", platform=t.platform)
        return "busy"
    count("publishing_posts_published_total", platform=t.platform)
    if t.scheduled_at is not None:
        observe("publish_lag_seconds", max(0.0, (now - t.scheduled_at).total_seconds()), platform=t.platform)
    logger.info("target published", extra={"target_id": t.target_id, "platform": t.platform,
                                           "platform_post_id": result.platform_post_id, "how": outcome})
    _refresh_status(t, siblings)
    events.emit("post.published", t.org_id, {
        "post_id": t.post_id, "target_id": t.target_id, "connection_id": t.connection_id, "platform": t.platform,
        "platform_post_id": result.platform_post_id, "url": result.url, "published_at": clock.iso(now)})
    # its first comment, if it has one (as this attempt read it): own state, retries and worker
    if target is None:
        first_comments.start(t)
    else:
        first_comments.start(t, target.first_comment)
    return outcome


def _refresh_status(t: Target, siblings: list[Target]) -> None:
    """The post's status after ``t`` moved: a post whose only target is ``t`` needs no read."""
    refresh_post_status(t.org_id, t.post_id, [t] if len(siblings) == 1 else None)


def _failed(t: Target, attempt_id: str, e: PublishError, exhausted: bool, siblings: list[Target]) -> Outcome:
    now = _now()
    if not won(lambda: t.update(actions=[
            Target.state.set("failed"), Target.last_error.set(_error_json(e)), Target.failed_at.set(now),
            Target.exhausted.set(exhausted), Target.due_shard.remove(), Target.due_sk.remove(),
            Target.lease_until.remove(), Target.next_attempt_at.remove(), Target.updated_at.set(now)],
            condition=_holding(attempt_id))):
        return "busy"
    count("publishing_posts_failed_total", platform=t.platform, kind=e.kind)
    logger.warning("target failed", extra={"target_id": t.target_id, "platform": t.platform, "kind": e.kind,
                                           "code": e.code.value, "attempts": int(t.attempts or 0),
                                           "platform_message": e.message[:300]})
    _refresh_status(t, siblings)
    events.emit("post.failed", t.org_id, {
        "post_id": t.post_id, "target_id": t.target_id, "connection_id": t.connection_id, "platform": t.platform,
        "attempts": int(t.attempts or 0), "error": {"code": e.code.value, "kind": e.kind, "message": e.message[:300]},
        "failed_at": clock.iso(now)})
    return "parked" if exhausted else "failed"


def _retry_later(t: Target, attempt_id: str, msg: PublishMessage, e: PublishError) -> Outcome:
    s = publishing_settings()
    now = _now()
    reset_in = (e.reset_at - clock.now_ts()) if e.reset_at else None
    delay = backoff_delay(int(t.attempts or 1), base_s=s.backoff_base_s, cap_s=s.backoff_cap_s, reset_in_s=reset_in)
    if e.ambiguous:  # the original request may still land: look it up only once it surely has
        delay = max(delay, s.reconcile_delay_s)
    at = now + timedelta(seconds=delay)
    if not won(lambda: t.update(actions=[
            Target.state.set("queued"), Target.next_attempt_at.set(at), Target.last_error.set(_error_json(e)),
            Target.reconcile.set(bool(e.ambiguous or t.reconcile)), Target.lease_until.remove(), _watch(at, t),
            Target.updated_at.set(now)], condition=_holding(attempt_id))):
        return "busy"
    messages.send(msg.model_copy(update={"reason": "retry", "place": None}), not_before=at)
    logger.info("publish will be retried", extra={"target_id": t.target_id, "kind": e.kind,
                                                  "attempt": int(t.attempts or 0), "delay_s": round(delay, 2)})
    return "retry"


def _renew(t: Target, attempt_id: str) -> bool:
    """A fresh lease before a platform call (the work before it took long); False when the claim was lost.
    Conditional on the attempt id, so it and a takeover (conditional on the old lease) exclude each other."""
    lease = _now() + timedelta(seconds=publishing_settings().lease_s)
    renewed = won(lambda: t.update(actions=[Target.lease_until.set(lease), _watch(lease, t)],
                                   condition=_holding(attempt_id)))
    logger.warning("lease renewed before a platform call" if renewed else "claim lost before a platform call",
                   extra={"target_id": t.target_id})
    return renewed


def _release(t: Target, attempt_id: str, at: datetime) -> None:
    """Hand the claim back without an attempt (nothing was posted): ``queued`` again until ``at``."""
    won(lambda: t.update(actions=[Target.state.set("queued"), Target.attempts.add(-1), Target.lease_until.remove(),
                                  Target.next_attempt_at.set(at), _watch(at, t)], condition=_holding(attempt_id)))


def _breaker_keys(t: Target) -> tuple[str, str]:
    return f"platform:{t.platform}", f"connection:{t.connection_id}"


def _count_failure(t: Target, e: PublishError) -> None:
    s = publishing_settings()
    platform_key, conn_key = _breaker_keys(t)
    if e.kind in BREAKER_KINDS:
        breaker.record_failure(conn_key, threshold=s.breaker_threshold, open_s=s.breaker_open_s)
    if e.kind in PLATFORM_BREAKER_KINDS and e.scope != "connection_only":
        breaker.record_failure(platform_key, threshold=s.breaker_threshold, open_s=s.breaker_open_s)
    if e.kind == "rate_limited" and e.reset_at:
        pacing.block(t.platform, t.connection_id, e.reset_at)


def process(msg: PublishMessage, gateway: PlatformGateway) -> Outcome:
    """Handle one publish message; raises :class:`ParkInDlq` for a target that failed after its last retry."""
    for waited in range(WAITS_IN_WORKER + 1):
        try:
            return _process(msg, gateway, wait_here=waited < WAITS_IN_WORKER)
        except _WaitHere as w:  # nothing claimed: sleep it out, keeping the place in line, and look again
            count("publish_waited_in_worker_total", reason=w.why)
            clock.sleep((w.at - _now()).total_seconds())
            msg = msg.model_copy(update={"place": w.place})
    raise AssertionError("unreachable: the last try never waits here")


def _process(msg: PublishMessage, gateway: PlatformGateway, wait_here: bool) -> Outcome:
    s = publishing_settings()
    siblings = targets_of(msg.post_id)  # one consistent Query: this target and the post's others
    t = next((x for x in siblings if x.target_id == msg.target_id), None)
    if t is None:
        logger.warning("publish message for an unknown target", extra={"target_id": msg.target_id})
        return "ignored"
    if t.org_id != msg.org_id or t.dispatch_id != msg.dispatch_id:
        logger.info("stale publish message", extra={"target_id": t.target_id, "state": t.state})
        return "ignored"
    if t.state == "failed" and t.exhausted:
        raise ParkInDlq(t.target_id)
    if t.state not in ("queued", "publishing"):
        return "ignored"
    now = _now()
    if t.state == "publishing" and t.lease_until and _takeover_at(t) > now:
        return _defer(msg, _takeover_at(t) + timedelta(seconds=1), "claimed")
    due = max([d for d in (t.scheduled_at, t.next_attempt_at) if d is not None], default=now)
    if due > now + timedelta(seconds=0.5):
        return _defer(msg, due, "not_due", wait_here=wait_here)

    breakers = breaker.read(*_breaker_keys(t))
    for key, state in breakers.items():
        decision = breaker.allow(key, probe_lease_s=s.lease_s, item=state)
        if not decision.allowed:
            return _defer(msg, decision.retry_at or clock.now_ts() + 5, "breaker_open", wait_here=wait_here)
    rules = s.pacing.get(t.platform, [])

    if t.state == "queued" and not t.reconcile:
        slot = pacing.acquire(t.platform, t.connection_id, rules, place=msg.place)
        if not slot.go:
            return _wait_in_line(t, msg, slot, wait_here)
    claimed = _claim(t, msg)
    if claimed is None:
        return "busy"
    t, attempt_id = claimed
    return _attempt(t, attempt_id, msg, gateway, breakers, siblings)


def _attempt(t: Target, attempt_id: str, msg: PublishMessage, gateway: PlatformGateway,
             breakers: dict[str, BreakerState | None], siblings: list[Target]) -> Outcome:
    """Holding the claim: reconcile if a previous attempt may have posted, then call the platform once."""
    s = publishing_settings()
    number = int(t.attempts or 1)
    target, missing, cleared = _build_target(t)
    started = time.monotonic()

    if t.reconcile:
        try:
            found = gateway.lookup(target)
        except PublishError as e:
            count("publish_attempts_total", platform=t.platform, outcome="lookup_" + e.kind)
            _audit(t, attempt_id, number, "lookup_failed", started, error=e)
            if not e.retryable:  # cannot know whether the post went out: never repost blindly
                uncertain = PublishError("unknown", "publish outcome uncertain: the platform may have accepted the "
                                         f"post and it cannot be looked up ({e.kind}: {e.message})", retryable=False,
                                         platform_status=e.platform_status, platform_code=e.platform_code)
                return _failed(t, attempt_id, uncertain, False, siblings)
            if number >= s.max_attempts:
                return _failed(t, attempt_id, e, True, siblings)
            return _retry_later(t, attempt_id, msg, e)
        if found is not None:
            count("publish_reconciled_total", platform=t.platform)
            count("publish_attempts_total", platform=t.platform, outcome="reconciled")
            _audit(t, attempt_id, number, "reconciled", started, result=found)
            return _published(t, attempt_id, found, "reconciled", siblings, target)
        slot = pacing.acquire(t.platform, t.connection_id, s.pacing.get(t.platform, []), place=msg.place)
        if not slot.go:  # hand the claim back and wait for a slot (not an attempt)
            _release(t, attempt_id, _at(slot.at))
            return _defer(msg, slot.at, "paced", slot.place)

    if not cleared:  # needs approval and has none (whatever moved the target here): never published
        e = PublishError("validation", "the post needs approval and was not approved; nothing was published",
                         retryable=False)
        count("publish_attempts_total", platform=t.platform, outcome="unapproved")
        _audit(t, attempt_id, number, "failed", started, error=e)
        return _failed(t, attempt_id, e, False, siblings)

    if missing:  # deleted after scheduling: the post never goes out without media it names
        e = PublishError("validation", f"media {', '.join(missing)} was deleted after the post was scheduled; "
                                       "nothing was published", retryable=False)
        count("publish_attempts_total", platform=t.platform, outcome="media_missing")
        _audit(t, attempt_id, number, "failed", started, error=e)
        return _failed(t, attempt_id, e, False, siblings)

    left = (t.lease_until - _now()).total_seconds()
    if left < s.call_budget_s and not _renew(t, attempt_id):  # the call could outlive the lease
        return "busy"  # taken over meanwhile: the new holder reconciles

    try:
        result = gateway.publish(target)
    except PublishError as e:
        observe("publish_duration_seconds", time.monotonic() - started, MetricUnit.Seconds, platform=t.platform)
        count("publish_attempts_total", platform=t.platform, outcome=e.kind)
        _count_failure(t, e)
        if e.ambiguous and (not e.retryable or number >= s.max_attempts):
            found = _safe_lookup(gateway, target)
            if found is not None:
                _audit(t, attempt_id, number, "reconciled", started, result=found)
                return _published(t, attempt_id, found, "reconciled", siblings, target)
        if e.retryable and number < s.max_attempts:
            _audit(t, attempt_id, number, "retry", started, error=e)
            return _retry_later(t, attempt_id, msg, e)
        _audit(t, attempt_id, number, "failed", started, error=e)
        return _failed(t, attempt_id, e, e.retryable, siblings)
    observe("publish_duration_seconds", time.monotonic() - started, MetricUnit.Seconds, platform=t.platform)
    count("publish_attempts_total", platform=t.platform, outcome="published")
    for key, state in breakers.items():
        breaker.record_success(key, state)
    _audit(t, attempt_id, number, "published", started, result=result)
    return _published(t, attempt_id, result, "published", siblings, target)


def _safe_lookup(gateway: PlatformGateway, target: PublishTarget) -> PublishOutcome | None:
    try:
        return gateway.lookup(target)
    except PublishError:
        return None


def expedite_redrive(receipt_handle: str) -> None:
    """Make a parked message visible again at once, so it reaches maxReceiveCount (and the DLQ) quickly."""
    try:
        from lily.core import queues
        from lily.core.aws import client

        client("sqs").change_message_visibility(QueueUrl=queues.queue_url(publishing_settings().queue),
                                                ReceiptHandle=receipt_handle, VisibilityTimeout=0)
    except Exception:  # noqa: BLE001 - best effort: the visibility timeout redrives it anyway
        logger.debug("could not expedite a parked message")
