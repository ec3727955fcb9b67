"""Opening, refreshing and re-sealing a connection's tokens.

Only the functions that publish or refresh (token_health, social_events, the publisher) import this
module; the HTTP API never decrypts a stored connection. Every token write is conditional on
``token_version`` so a rotating refresh token (X) is never overwritten by a stale copy.

A warm container keeps the tokens it opened for publishing (:func:`credentials`) for ``OPENED_TTL_S``, keyed
by the connection, its ``token_version`` and its envelopes as stored: a refresh, a reconnect or a revoke changes
the item, so a stale copy is never used; the connection item is still read on every publish (its status).
The tokens are kept in memory only, never logged.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist

from lily.core import clock, crypto
from lily.core.config import on_reset
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, not_found
from lily.core.observability import count, logger
from lily.social.models import SocialConnection
from lily.social.platforms import adapter as adapter_for
from lily.social.platforms.base import Credentials, ErrorKind, PlatformAdapter, PlatformError, TokenSet, needs_refresh
from lily.social.settings import social_settings


def context(org_id: str, connection_id: str) -> dict[str, str]:
    return {"org_id": org_id, "connection_id": connection_id}


def seal_access(tokens: TokenSet, org_id: str, connection_id: str) -> str:
    doc = {"access_token": tokens.access_token, "expires_at": tokens.expires_at, "scopes": tokens.scopes}
    return crypto.encrypt(json.dumps(doc), context(org_id, connection_id))


def seal_refresh(refresh_token: str, org_id: str, connection_id: str) -> str:
    return crypto.encrypt(json.dumps({"refresh_token": refresh_token}), context(org_id, connection_id))


def open_tokens(conn: SocialConnection) -> TokenSet:
    ctx = context(conn.org_id, conn.connection_id)
    access = json.loads(crypto.decrypt_text(conn.access_envelope, ctx))
    refresh = json.loads(crypto.decrypt_text(conn.refresh_envelope, ctx)) if conn.refresh_envelope else {}
    return TokenSet(
        access_token=access["access_token"],
        refresh_token=refresh.get("refresh_token"),
        expires_at=access.get("expires_at"),
        scopes=access.get("scopes") or [],
    )


def open_envelopes(org_id: str, connection_id: str, access_envelope: str, refresh_envelope: str | None) -> TokenSet:
    """Open envelopes carried outside the table (the revoke message of a deleted connection)."""
    ctx = context(org_id, connection_id)
    access = json.loads(crypto.decrypt_text(access_envelope, ctx))
    refresh = json.loads(crypto.decrypt_text(refresh_envelope, ctx)) if refresh_envelope else {}
    return TokenSet(
        access_token=access["access_token"],
        refresh_token=refresh.get("refresh_token"),
        expires_at=access.get("expires_at"),
        scopes=access.get("scopes") or [],
    )


OPENED_TTL_S = 300.0
OPENED_MAX = 1024  # connections kept per container (least recently used dropped first)
USED_EVERY_S = 60  # ``last_used_at`` is written at most this often per connection
_opened: OrderedDict[tuple[str, str], tuple[float, tuple, TokenSet]] = OrderedDict()
_opened_lock = threading.Lock()


def _opened_tokens(conn: SocialConnection) -> TokenSet:
    """:func:`open_tokens`, or what this container opened from the very same envelopes in the last
    ``OPENED_TTL_S`` (no KMS call)."""
    key = (conn.org_id, conn.connection_id)
    stored = (int(conn.token_version or 0), conn.access_envelope, conn.refresh_envelope)
    now = time.monotonic()
    with _opened_lock:
        hit = _opened.get(key)
        if hit is not None and hit[1] == stored and now - hit[0] < OPENED_TTL_S:
            _opened.move_to_end(key)
            return hit[2]
    tokens = open_tokens(conn)
    with _opened_lock:
        _opened[key] = (now, stored, tokens)
        _opened.move_to_end(key)
        while len(_opened) > OPENED_MAX:
            _opened.popitem(last=False)
    return tokens


def forget_opened() -> None:
    """Drop every token this container keeps (on a settings reset: another deployment, another test)."""
    with _opened_lock:
        _opened.clear()


on_reset(forget_opened)


def credentials_of(conn: SocialConnection, tokens: TokenSet) -> Credentials:
    return Credentials(
        platform=conn.platform,
        account_id=conn.account_id,
        kind=conn.account_kind,
        access_token=tokens.access_token,
        urn=conn.urn,
        parent_id=conn.parent_id,
        handle=conn.handle,
    )


def store_refreshed(conn: SocialConnection, old: TokenSet, new: TokenSet) -> None:
    """Write refreshed tokens if nobody else did first (``token_version`` condition)."""
    actions = [
        SocialConnection.access_envelope.set(seal_access(new, conn.org_id, conn.connection_id)),
        SocialConnection.token_version.add(1),
        SocialConnection.last_refreshed_at.set(clock.now()),
        SocialConnection.updated_at.set(clock.now()),
    ]
    if new.refresh_token and new.refresh_token != old.refresh_token:
        actions.append(
            SocialConnection.refresh_envelope.set(seal_refresh(new.refresh_token, conn.org_id, conn.connection_id))
        )
    conn.update(actions=actions, condition=SocialConnection.token_version == conn.token_version)


def refresh_connection(conn: SocialConnection, adapter: PlatformAdapter | None = None) -> TokenSet:
    """Refresh now. A refresh lost to a concurrent one re-reads and uses the winner's tokens."""
    adapter = adapter or adapter_for(conn.platform)
    old = open_tokens(conn)
    try:
        new = adapter.refresh(old)
    except PlatformError as exc:
        if exc.kind == ErrorKind.AUTH_EXPIRED and _reload_changed(conn):
            return open_tokens(conn)
        raise
    if not won(lambda: store_refreshed(conn, old, new)):  # a concurrent refresh stored its tokens first
        count("social_refresh_races_total", platform=conn.platform)
        conn.refresh()
        return open_tokens(conn)
    conn.refresh()
    count("social_token_refreshes_total", platform=conn.platform)
    return new


def _reload_changed(conn: SocialConnection) -> bool:
    version = conn.token_version
    conn.refresh(consistent_read=True)
    return conn.token_version != version


def credentials(org_id: str, connection_id: str, adapter: PlatformAdapter | None = None) -> Credentials:
    """Live credentials for publishing: refreshes when the access token is near expiry, marks ``last_used_at``
    (at most every ``USED_EVERY_S``).

    Raises SOCIAL_004 when the connection needs re-authorization, VALIDATION_003 when it is paused.
    """
    try:
        conn = SocialConnection.get(org_id, connection_id, consistent_read=True)
    except DoesNotExist:
        raise not_found("connection", connection_id=connection_id) from None
    if conn.status == "needs_reauth":
        raise LilyError(
            ErrorCode.SOCIAL_004,
            "reconnect this account",
            {"connection_id": connection_id, "reason": conn.status_reason},
        )
    if conn.status == "paused":
        raise LilyError(
            ErrorCode.VALIDATION_003,
            "this connection is paused (plan limit)",
            {"connection_id": connection_id, "reason": conn.status_reason},
        )
    tokens = _opened_tokens(conn)
    if needs_refresh(tokens, social_settings().refresh_margin_s):
        tokens = refresh_connection(conn, adapter)
    now = clock.now()
    if conn.last_used_at is None or now - conn.last_used_at > timedelta(seconds=USED_EVERY_S):
        conn.update(actions=[SocialConnection.last_used_at.set(now)])
    logger.debug("credentials opened", extra={"org_id": org_id, "connection_id": connection_id})
    return credentials_of(conn, tokens)
