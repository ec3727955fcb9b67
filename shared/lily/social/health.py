"""The daily token-health job and the social_events worker's logic."""

from __future__ import annotations

from pydantic import Field

from lily.core import clock, events
from lily.core.observability import count, logger
from lily.core.schema import Schema
from lily.social.messages import NeedsReauth, Revoke
from lily.social.models import SocialConnection
from lily.social.notices import mark_needs_reauth, record_notice
from lily.social.platforms import adapter as adapter_for
from lily.social.platforms.base import ErrorKind, PlatformAdapter, PlatformError
from lily.social.tokens import credentials_of, open_envelopes, open_tokens, refresh_connection

# The job runs daily: refresh anything that would expire before the next run (plus a margin).
HORIZON_S = 26 * 3600


class HealthReport(Schema):
    checked: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)


def check_connection(conn: SocialConnection, adapter: PlatformAdapter | None = None) -> str:
    """Refresh or validate one connection: ``refreshed`` | ``valid`` | ``needs_reauth`` | ``deferred``."""
    adapter = adapter or adapter_for(conn.platform)
    try:
        tokens = open_tokens(conn)
        expiring = tokens.expires_at is not None and tokens.expires_at - HORIZON_S <= clock.now_ts()
        if expiring and tokens.refresh_token:
            refresh_connection(conn, adapter)
            outcome = "refreshed"
        elif tokens.expires_at is not None and tokens.expires_at <= clock.now_ts():
            mark_needs_reauth(conn, "access token expired and the platform issued no refresh token")
            return "needs_reauth"
        else:
            adapter.validate(credentials_of(conn, tokens))
            outcome = "valid"
    except PlatformError as exc:
        if exc.kind in (ErrorKind.AUTH_EXPIRED, ErrorKind.PERMISSION):
            mark_needs_reauth(conn, f"{exc.kind.value}: {exc.message}")
            return "needs_reauth"
        logger.warning(
            "token health deferred",
            extra={
                "org_id": conn.org_id,
                "connection_id": conn.connection_id,
                "platform": conn.platform,
                "kind": exc.kind.value,
            },
        )
        return "deferred"
    conn.update(actions=[SocialConnection.last_checked_at.set(clock.now())])
    return outcome


def run(adapters: dict[str, PlatformAdapter] | None = None) -> HealthReport:
    """Walk every active connection (Scan: this is the maintenance job, not a request path)."""
    report = HealthReport()
    cache: dict[str, PlatformAdapter] = dict(adapters or {})
    for conn in SocialConnection.scan(SocialConnection.status == "active"):
        if conn.platform not in cache:
            cache[conn.platform] = adapter_for(conn.platform)
        try:
            outcome = check_connection(conn, cache[conn.platform])
        except Exception:  # noqa: BLE001 - one broken connection must not stop the job
            logger.exception("token health failed", extra={"org_id": conn.org_id, "connection_id": conn.connection_id})
            outcome = "error"
        report.checked += 1
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        count("social_token_health_total", platform=conn.platform, outcome=outcome)
    logger.info("token health done", extra=report.model_dump())
    return report


def handle_event(event: NeedsReauth | Revoke) -> str:
    """The social_events worker: ``revoke`` a disconnected grant, record a ``needs_reauth`` notice."""
    if isinstance(event, NeedsReauth):
        if not record_notice(event):
            return "duplicate"
        events.emit("connection.needs_reauth", event.org_id, {
            "connection_id": event.connection_id, "platform": event.platform, "account_name": event.account_name,
            "reason": event.reason})
        return "recorded"
    tokens = open_envelopes(event.org_id, event.connection_id, event.access_envelope, event.refresh_envelope)
    try:
        revoked = adapter_for(event.platform).revoke(tokens)
    except PlatformError as exc:
        if exc.retryable:
            raise  # the queue retries, then the DLQ keeps it
        logger.warning("revoke refused", extra={"platform": event.platform, "kind": exc.kind.value})
        return "refused"
    count("social_revocations_total", platform=event.platform, outcome="revoked" if revoked else "unsupported")
    return "revoked" if revoked else "unsupported"
