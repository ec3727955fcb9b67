"""Stored connections: THE one path that stores one, and listing, inspecting and disconnecting them.

:func:`create_or_reconnect` is the ONE code path that stores a connection. It consumes one of the plan's
connected profiles (:class:`lily.social.ports.ProfileQuota`) before storing a new connection and gives it
back if storing does not happen (the audit's launch blocker was a legacy path that skipped the check).

The HTTP API encrypts but never opens a stored connection's tokens: a reconnect keeps the stored
refresh-token envelope untouched unless the platform issued a new refresh token, and revocation at
disconnect is handed (as ciphertext) to the ``social_events`` worker.
"""

from __future__ import annotations

import hashlib

from pynamodb.exceptions import DoesNotExist

from lily.core import clock
from lily.core.db import won
from lily.core.errors import not_found
from lily.core.observability import count, logger
from lily.core.pages import PageParams, query_page
from lily.social.messages import Revoke
from lily.social.messages import send as send_event
from lily.social.models import SocialConnection
from lily.social.platforms.base import Account, TokenSet
from lily.social.ports import SocialPorts
from lily.social.schemas import ConnectionPage, ConnectionView
from lily.social.tokens import seal_access, seal_refresh


def connection_id_for(org_id: str, platform: str, account_id: str) -> str:
    """Deterministic: one connection per (organization, platform, account)."""
    return "soc_" + hashlib.sha256(f"{org_id}|{platform}|{account_id}".encode()).hexdigest()[:26]


def create_or_reconnect(
    ports: SocialPorts, org_id: str, user_id: str, platform: str, account: Account, grant_tokens: TokenSet,
    grant_id: str
) -> SocialConnection:
    """THE one path that stores a connection. New ones consume a connected profile first."""
    tokens = account.tokens or grant_tokens
    cid = connection_id_for(org_id, platform, account.account_id)
    now = clock.now()
    access_env = seal_access(tokens, org_id, cid)
    refresh_env = seal_refresh(tokens.refresh_token, org_id, cid) if tokens.refresh_token else None
    profile = dict(
        account_kind=account.kind,
        account_name=account.name,
        handle=account.handle,
        avatar_url=account.avatar_url,
        urn=account.urn,
        parent_id=account.parent_id,
    )
    try:
        existing = SocialConnection.get(org_id, cid, consistent_read=True)
    except DoesNotExist:
        existing = None
    if existing is not None:
        actions = [
            SocialConnection.access_envelope.set(access_env),
            SocialConnection.token_version.add(1),
            SocialConnection.scopes.set(tokens.scopes),
            SocialConnection.status.set("active"),
            SocialConnection.status_reason.remove(),
            SocialConnection.grant_id.set(grant_id),
            SocialConnection.updated_at.set(now),
        ]
        if existing.status == "paused":
            actions[3] = SocialConnection.status.set("paused")  # reconnecting does not lift a plan pause
            actions[4] = SocialConnection.status_reason.set(existing.status_reason or "plan_limit")
        for name, value in profile.items():
            attr = getattr(SocialConnection, name)
            actions.append(attr.set(value) if value is not None else attr.remove())
        if refresh_env:  # keep the stored refresh token unless the platform issued a new one
            actions.append(SocialConnection.refresh_envelope.set(refresh_env))
        existing.update(actions=actions)
        count("social_connections_total", platform=platform, outcome="reconnected")
        logger.info("social account reconnected", extra={"org_id": org_id, "connection_id": cid, "platform": platform})
        return existing
    profiles = ports.profiles
    profiles.consume(org_id)  # raises PLAN_002 over the plan's limit
    conn = SocialConnection(
        org_id,
        cid,
        platform=platform,
        account_id=account.account_id,
        scopes=tokens.scopes,
        status="active",
        access_envelope=access_env,
        refresh_envelope=refresh_env,
        token_version=1,
        grant_id=grant_id,
        created_by=user_id,
        created_at=now,
        updated_at=now,
        **profile,
    )
    stored = False
    try:
        stored = won(lambda: conn.save(condition=SocialConnection.connection_id.does_not_exist()))
    finally:
        if not stored:  # lost the race, or the write failed: the profile was not added
            profiles.release(org_id)
    if not stored:  # a concurrent completion stored it first: update that one instead
        return create_or_reconnect(ports, org_id, user_id, platform, account, grant_tokens, grant_id)
    count("social_connections_total", platform=platform, outcome="connected")
    logger.info(
        "social account connected",
        extra={"org_id": org_id, "connection_id": cid, "platform": platform, "account_kind": account.kind},
    )
    return conn


def list_connections(org_id: str, page: PageParams) -> ConnectionPage:
    items, cursor = query_page(lambda start, n: SocialConnection.query(org_id, last_evaluated_key=start, limit=n),
                               {"org_id": org_id}, page, ConnectionView.of)
    return ConnectionPage(items=items, next_cursor=cursor)


def _get(org_id: str, connection_id: str) -> SocialConnection:
    try:
        return SocialConnection.get(org_id, connection_id, consistent_read=True)
    except DoesNotExist:
        raise not_found("connection", connection_id=connection_id) from None


def get_connection(org_id: str, connection_id: str) -> ConnectionView:
    return ConnectionView.of(_get(org_id, connection_id))


def disconnect(ports: SocialPorts, org_id: str, connection_id: str, user_id: str) -> None:
    """Forget the connection, give back its profile, and ask the worker to revoke at the platform."""
    conn = _get(org_id, connection_id)
    if not won(lambda: conn.delete(condition=SocialConnection.connection_id.exists())):
        raise not_found("connection", connection_id=connection_id)  # a concurrent disconnect removed it
    ports.profiles.release(org_id)
    siblings = [k for k in SocialConnection.by_grant.query(conn.grant_id) if k.connection_id != connection_id]
    if siblings:
        revoke = False  # another connection still uses this grant (Pages/orgs of one login)
    else:
        revoke = True
        send_event(Revoke(org_id=org_id, connection_id=connection_id, platform=conn.platform,
                          access_envelope=conn.access_envelope, refresh_envelope=conn.refresh_envelope))
    count("social_disconnects_total", platform=conn.platform)
    logger.info(
        "social account disconnected",
        extra={
            "org_id": org_id,
            "connection_id": connection_id,
            "platform": conn.platform,
            "by": user_id,
            "revoke": revoke,
        },
    )
