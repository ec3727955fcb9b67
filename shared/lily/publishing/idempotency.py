"""``Idempotency-Key`` for create and schedule: same key + same request → the same answer; another
request under a used key → 409. Keys are per organization and operation and expire after
``idempotency_ttl_s``. A request that fails is forgotten, so retrying it with the same key runs it again.

A request in progress holds its key only for ``lease_s``, the time its function may still run (the Lambda
context's remaining time, see ``functions/publishing``): when the runtime kills the function the cleanup never
runs, and the key frees itself when the lease ends instead of answering 409 for a day. Each claim carries its
own ``attempt`` id, so a late finish or cleanup of an earlier attempt never touches the record of a retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from lily.core import clock, ids
from lily.core.db import is_live, won
from lily.core.errors import ErrorCode, LilyError, invalid
from lily.core.observability import count
from lily.publishing.models import IdempotencyRecord
from lily.publishing.settings import publishing_settings


def request_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def run(org_id: str, operation: str, key: str | None, payload: Any, fn: Callable[[], Any], *,
        lease_s: float) -> tuple[Any, bool]:
    """Run ``fn`` once per key; returns (answer as JSON-able data, replayed?). ``lease_s``: how long this
    invocation may still run (an in-progress claim expires then)."""
    if key is None:
        return fn(), False
    if not (1 <= len(key) <= 255) or not key.isprintable():
        raise invalid("Idempotency-Key must be 1-255 printable characters")
    pk = f"{org_id}#{operation}#{key}"
    digest = request_hash(payload)
    now = clock.now()
    attempt = ids.token(12)
    lease = timedelta(seconds=max(1.0, min(lease_s, publishing_settings().idempotency_ttl_s)))
    record = IdempotencyRecord(pk, request_hash=digest, status="in_progress", attempt=attempt, created_at=now,
                               expires_at=now + lease)
    claimed = IdempotencyRecord.key.does_not_exist() | (IdempotencyRecord.expires_at < now)
    if not won(lambda: record.save(condition=claimed)):
        try:
            existing = IdempotencyRecord.get(pk, consistent_read=True)
        except IdempotencyRecord.DoesNotExist:
            existing = None
        if not is_live(existing):
            raise LilyError(ErrorCode.DB_002, "retry the request") from None
        if existing.request_hash != digest:
            raise LilyError(ErrorCode.VALIDATION_003, "Idempotency-Key was already used with a different request",
                            {"idempotency_key": key}) from None
        if existing.status != "done":
            raise LilyError(ErrorCode.VALIDATION_003, "a request with this Idempotency-Key is in progress",
                            {"idempotency_key": key}, headers={"Retry-After": "1"}) from None
        count("idempotent_replays_total", operation=operation)
        return existing.response_body, True
    mine = IdempotencyRecord.attempt == attempt
    try:
        answer = fn()
    except BaseException:
        won(lambda: record.delete(condition=mine))  # a retry that took over after the lease keeps its record
        raise
    body = answer.model_dump(mode="json") if hasattr(answer, "model_dump") else answer
    done_until = clock.now() + timedelta(seconds=publishing_settings().idempotency_ttl_s)
    won(lambda: record.update(actions=[IdempotencyRecord.status.set("done"), IdempotencyRecord.response_body.set(body),
                                       IdempotencyRecord.expires_at.set(done_until)], condition=mine))
    return body, False
