"""One platform call made exactly once, with the claim, lease and reconciliation protocol of the publisher
(:mod:`lily.publishing.publisher`, docs/publishing.md "Exactly once"), for the calls that are not a post: a post's
first comment (on its target) and a reply from the inbox (on the inbox item).

The call's state lives in a few attributes of one item (named by :class:`OnceFields`):
``queued → sending → sent | failed`` (and ``sending → queued`` for a retry). One :func:`step`:

1. ignores an item that is not ``queued`` or ``sending``; comes back later (``come_back``) while another worker's
   claim may still be calling (its lease plus ``reconcile_delay_s`` has not passed) or before a retry's instant;
2. claims the item with a conditional write on the state and the attempt id it read (a takeover of an ended
   lease also on the lease), with a fresh attempt id and lease: two workers never both call;
3. when a previous attempt may have made the call (a takeover, or an ambiguous failure before), looks it up
   first (``lookup``) and records what it finds instead of calling again; a lookup that cannot answer for good
   fails the item as uncertain rather than risk a second comment;
4. calls once; records ``sent`` (the platform's id and URL), or ``queued`` again with an exponential, jittered
   delay for a retryable failure, or ``failed`` (the classified error) for a permanent one or after the last
   attempt. Every record is conditional on still holding the claim.

A worker that dies mid-call leaves the item ``sending``; the message comes back (SQS visibility) and the next
worker takes over once the lease has ended, reconciles, and finds the comment rather than posting a second one.
The platform call must end (its HTTP timeout) well inside ``lease_s``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

from lily.core import clock, ids
from lily.core.db import won
from lily.core.observability import logger

Step = Literal["sent", "reconciled", "retry", "failed", "deferred", "busy", "ignored"]


class OnceFields(NamedTuple):
    """Attribute names (on the item's model) holding one exactly-once call."""

    state: str
    attempt_id: str
    lease_until: str
    reconcile: str
    attempts: str
    next_at: str
    error: str
    platform_id: str
    url: str
    done_at: str


class Policy(NamedTuple):
    lease_s: float = 60.0
    reconcile_delay_s: float = 10.0
    max_attempts: int = 5
    backoff_base_s: float = 5.0
    backoff_cap_s: float = 600.0


class Failure(NamedTuple):
    """A classified failure of the call or the lookup."""

    kind: str
    message: str
    retryable: bool
    ambiguous: bool = False
    reset_at: float | None = None
    code: str | None = None


class Done(NamedTuple):
    platform_id: str
    url: str | None = None


def backoff(attempt: int, policy: Policy, reset_in_s: float | None = None) -> float:
    """Full jitter, floored at half the base, at least the platform's reset time when it named one."""
    ceiling = min(policy.backoff_cap_s, policy.backoff_base_s * 2 ** (max(1, attempt) - 1))
    delay = max(policy.backoff_base_s / 2, random.uniform(0.0, ceiling))
    if reset_in_s is not None and reset_in_s > 0:
        delay = max(delay, reset_in_s + random.uniform(0.0, policy.backoff_base_s))
    return delay


def _error(f: Failure) -> dict[str, Any]:
    return {"code": f.code, "kind": f.kind, "message": f.message[:1000], "at": clock.iso()}


def step(item: Any, f: OnceFields, policy: Policy, *, call: Callable[[], Done], lookup: Callable[[], Done | None],
         classify: Callable[[Exception], Failure | None], come_back: Callable[[datetime], None],
         on_sent: Sequence[Any] = (), on_failed: Sequence[Any] = ()) -> Step:
    """Advance ``item``'s call by one step (see the module). ``classify`` turns an exception of ``call`` or
    ``lookup`` into a :class:`Failure` (None: not a platform failure, raised on). ``on_sent`` / ``on_failed``:
    more update actions written with the final state."""
    model = type(item)
    attr = lambda name: getattr(model, name)  # noqa: E731 - the model's attribute for conditions and actions
    state = getattr(item, f.state)
    if state not in ("queued", "sending"):
        return "ignored"
    now = clock.now()
    lease_until = getattr(item, f.lease_until)
    if state == "sending" and lease_until and lease_until + timedelta(seconds=policy.reconcile_delay_s) > now:
        come_back(lease_until + timedelta(seconds=policy.reconcile_delay_s + 1))
        return "deferred"
    next_at = getattr(item, f.next_at)
    if state == "queued" and next_at and next_at > now + timedelta(seconds=0.5):
        come_back(next_at)
        return "deferred"

    # 2. claim
    takeover = state == "sending"
    old_attempt = getattr(item, f.attempt_id)
    attempt = ids.new_id("att")
    cond = attr(f.state) == state
    cond &= (attr(f.attempt_id) == old_attempt) if old_attempt else attr(f.attempt_id).does_not_exist()
    if takeover:
        cond &= attr(f.lease_until) < now - timedelta(seconds=policy.reconcile_delay_s)
    actions = [attr(f.state).set("sending"), attr(f.attempt_id).set(attempt),
               attr(f.lease_until).set(now + timedelta(seconds=policy.lease_s)), attr(f.attempts).add(1)]
    if takeover:
        actions.append(attr(f.reconcile).set(True))
    if not won(lambda: item.update(actions=actions, condition=cond)):
        return "busy"
    if takeover:
        logger.warning("took over an expired claim", extra={"model": model.__name__})
    holding = (attr(f.state) == "sending") & (attr(f.attempt_id) == attempt)
    number = int(getattr(item, f.attempts) or 1)

    def finish(done: Done, how: Step) -> Step:
        acts = [attr(f.state).set("sent"), attr(f.platform_id).set(done.platform_id),
                attr(f.done_at).set(clock.now()), attr(f.lease_until).remove(), attr(f.next_at).remove(),
                attr(f.reconcile).set(False), *on_sent]
        if done.url:
            acts.append(attr(f.url).set(done.url))
        return how if won(lambda: item.update(actions=acts, condition=holding)) else "busy"

    def fail(failure: Failure) -> Step:
        acts = [attr(f.state).set("failed"), attr(f.error).set(_error(failure)), attr(f.lease_until).remove(),
                attr(f.next_at).remove(), *on_failed]
        return "failed" if won(lambda: item.update(actions=acts, condition=holding)) else "busy"

    def retry(failure: Failure, reconcile: bool) -> Step:
        reset_in = failure.reset_at - clock.now_ts() if failure.reset_at else None
        delay = backoff(number, policy, reset_in)
        if reconcile:  # the request may still land: look it up only once it surely has
            delay = max(delay, policy.reconcile_delay_s)
        at = clock.now() + timedelta(seconds=delay)
        acts = [attr(f.state).set("queued"), attr(f.next_at).set(at), attr(f.error).set(_error(failure)),
                attr(f.reconcile).set(reconcile), attr(f.lease_until).remove()]
        if not won(lambda: item.update(actions=acts, condition=holding)):
            return "busy"
        come_back(at)
        return "retry"

    def classified(exc: Exception) -> Failure:
        failure = classify(exc)
        if failure is None:
            raise exc
        return failure

    # 3. reconcile
    if takeover or getattr(item, f.reconcile):
        try:
            found = lookup()
        except Exception as exc:  # noqa: BLE001 - classified (or raised on) by the caller's classify
            failure = classified(exc)
            if not failure.retryable:
                return fail(Failure("unknown", "outcome uncertain: the platform may have accepted the call and it "
                                    f"cannot be looked up ({failure.kind}: {failure.message})", False,
                                    code=failure.code))
            return retry(failure, True) if number < policy.max_attempts else fail(failure)
        if found is not None:
            return finish(found, "reconciled")

    # 4. call once
    try:
        done = call()
    except Exception as exc:  # noqa: BLE001 - classified (or raised on) by the caller's classify
        failure = classified(exc)
        if failure.retryable and number < policy.max_attempts:
            return retry(failure, failure.ambiguous)
        if failure.ambiguous:
            try:
                found = lookup()
            except Exception:  # noqa: BLE001 - the failure below stands
                found = None
            if found is not None:
                return finish(found, "reconciled")
        return fail(failure)
    return finish(done, "sent")
