"""Health checks and the heartbeat round trip."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field

from lily.core import clock, ids, queues
from lily.core.aws import client
from lily.core.config import get_settings
from lily.core.db import won
from lily.core.observability import count, logger
from lily.core.resources import bucket_name
from lily.health.models import Heartbeat

HEARTBEAT_QUEUE = "heartbeat"
HEARTBEAT_SOURCE = "scheduler"
HEARTBEAT_TTL = timedelta(days=7)


class HealthInfo(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
    stage: str
    function_count: int


class Check(BaseModel):
    name: str
    ok: bool
    latency_ms: float
    error: str | None = None


class DeepHealth(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    stage: str
    checks: list[Check]


def info() -> HealthInfo:
    s = get_settings()
    return HealthInfo(version=s.version, stage=s.stage, function_count=s.function_count)


def _timed(name: str, probe: Callable[[], object]) -> Check:
    start = time.perf_counter()
    try:
        probe()
        return Check(name=name, ok=True, latency_ms=round((time.perf_counter() - start) * 1000, 2))
    except Exception as exc:  # noqa: BLE001 - boundary: a failing dependency is reported, not raised
        logger.warning("health check failed", extra={"check": name, "error_type": type(exc).__name__})
        return Check(
            name=name, ok=False, latency_ms=round((time.perf_counter() - start) * 1000, 2),
            error=type(exc).__name__,
        )


def deep() -> DeepHealth:
    s = get_settings()
    checks = [
        _timed("dynamodb", lambda: client("dynamodb").describe_table(TableName=Heartbeat.Meta.table_name)),
        _timed("s3", lambda: client("s3").head_bucket(Bucket=bucket_name("media"))),
        _timed("sqs", lambda: client("sqs").get_queue_attributes(
            QueueUrl=queues.queue_url(HEARTBEAT_QUEUE), AttributeNames=["ApproximateNumberOfMessages"])),
        _timed("kms", lambda: client("kms").describe_key(KeyId=s.kms_key_id)),
    ]
    status = "ok" if all(c.ok for c in checks) else "degraded"
    return DeepHealth(status=status, version=s.version, stage=s.stage, checks=checks)


class Beat(BaseModel):
    beat_id: str = Field(pattern=r"^[a-z0-9_]{4,64}$")
    sent_at: str
    source: str = Field(HEARTBEAT_SOURCE, pattern=r"^[a-z0-9_-]{1,32}$")


def send_heartbeat() -> Beat:
    beat = Beat(beat_id=ids.new_id("beat"), sent_at=clock.iso())
    queues.send(HEARTBEAT_QUEUE, beat.model_dump())
    return beat


def record_heartbeat(raw: dict) -> bool:
    """Record one beat; returns False when it was already recorded (duplicate delivery)."""
    beat = Beat.model_validate(raw)
    sent = clock.parse_iso(beat.sent_at)
    received = clock.now()
    item = Heartbeat(
        beat.source, beat.beat_id, sent_at=sent, received_at=received,
        lag_ms=int((received - sent).total_seconds() * 1000), expires_at=received + HEARTBEAT_TTL,
    )
    if not won(lambda: item.save(condition=Heartbeat.beat_id.does_not_exist())):
        return False
    count("heartbeats_recorded_total")
    return True


def recent(source: str = HEARTBEAT_SOURCE, limit: int = 10) -> list[Heartbeat]:
    return [
        hb for hb in Heartbeat.query(source, scan_index_forward=False, limit=limit)
        if hb.expires_at is None or hb.expires_at > clock.now()
    ]
