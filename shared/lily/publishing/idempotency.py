"""``Idempotency-Key`` for create and schedule: same key + same request → the same answer; another
request under a used key → 409. Keys are per organization and operation and expire after
``idempotency_ttl_s``. A request that fails is forgotten, so retrying it with the same key runs it again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from lily.core import clock
from lily.core.db import is_live, won
from lily.core.errors import ErrorCode, LilyError, invalid
from lily.core.observability import count
from lily.publishing.models import IdempotencyRecord
from lily.publishing.settings import publishing_settings


def request_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def run(org_id: str, operation: str, key: str | None, payload: Any, fn: Callable[[], Any]) -> tuple[Any, bool]:
    """Run ``fn`` once per key; returns (answer as JSON-able data, replayed?)."""
    if key is None:
        return fn(), False
    if not (1 <= len(key) <= 255) or not key.isprintable():
        raise invalid("Idempotency-Key must be 1-255 printable characters")
    pk = f"{org_id}#{operation}#{key}"
    digest = request_hash(payload)
    now = clock.now()
    record = IdempotencyRecord(pk, request_hash=digest, status="in_progress", created_at=now,
                               expires_at=now + timedelta(seconds=publishing_settings().idempotency_ttl_s))
    if not won(lambda: record.save(
            condition=IdempotencyRecord.key.does_not_exist() | (IdempotencyRecord.expires_at < now))):
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
    try:
        answer = fn()
    except BaseException:
        record.delete()
        raise
    body = answer.model_dump(mode="json") if hasattr(answer, "model_dump") else answer
    record.update(actions=[IdempotencyRecord.status.set("done"), IdempotencyRecord.response_body.set(body)])
    return body, False
