"""The audit log: who did what, when, from where and with what outcome; kept 90 days (TTL)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from lily.core import clock, ids
from lily.core.db import is_live
from lily.core.observability import logger
from lily.core.pages import PageParams, query_page
from lily.identity.models import AuditEvent
from lily.identity.request_ip import current_ip

if TYPE_CHECKING:
    from lily.identity.schemas import AuditEntry, AuditPage
from lily.identity.settings import identity_settings


def record(action: str, outcome: str = "success", *, actor_id: str | None = None, org_id: str | None = None,
           target: str | None = None, details: dict[str, Any] | None = None, ip: str | None = None) -> None:
    """Write one event to the day stream and, when it concerns an organization, to the org stream."""
    now = clock.now()
    event_id = ids.ulid()
    expires = now + timedelta(days=identity_settings().audit_retention_days)
    streams = [f"day#{now:%Y-%m-%d}"] + ([f"org#{org_id}"] if org_id else [])
    for stream in streams:
        AuditEvent(stream, f"{clock.iso(now)}#{event_id}", at=clock.iso(now), action=action, outcome=outcome,
                   actor_id=actor_id, org_id=org_id, target=target, ip=ip or current_ip(),
                   details=details or {}, expires_at=expires).save()
    logger.info("audit", extra={"action": action, "outcome": outcome, "org_id": org_id})


def _entry(e: AuditEvent) -> AuditEntry:
    from lily.identity.schemas import AuditEntry

    return AuditEntry(id=e.sk.rsplit("#", 1)[-1], at=e.at, action=e.action, outcome=e.outcome,
                      actor_id=e.actor_id, org_id=e.org_id, target=e.target, ip=e.ip, details=e.details or {})


def _query(stream: str, page: PageParams) -> AuditPage:
    """Newest first; expired entries (TTL deletes late) are skipped."""
    # the admin and orgs routes' models, imported here: the many writers of audit records (workers among them:
    # the reaper, the billing and privacy workers) never list them and need not build identity's API models
    from lily.identity.schemas import AuditPage

    items, cursor = query_page(
        lambda start, n: AuditEvent.query(stream, scan_index_forward=False, last_evaluated_key=start, limit=n),
        {"stream": stream}, page, _entry, keep=is_live)
    return AuditPage(items=items, next_cursor=cursor)


def for_org(org_id: str, page: PageParams | None = None) -> AuditPage:
    return _query(f"org#{org_id}", page or PageParams())


def for_day(day: str | None = None, page: PageParams | None = None) -> AuditPage:
    return _query(f"day#{day or f'{clock.now():%Y-%m-%d}'}", page or PageParams())
