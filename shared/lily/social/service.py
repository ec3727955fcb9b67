"""Connecting social accounts: the OAuth dance, account selection, listing and disconnecting.

:func:`_create_or_reconnect` is the ONE code path that stores a connection. It consumes the plan's
``social_profiles`` quota through the entitlement service before storing a new connection and
releases it if storing fails (the audit's launch blocker was a legacy path that skipped the check).
This module registers a plan-change hook that pauses connections over a lower plan's limit.

The HTTP API encrypts but never opens a stored connection's tokens: a reconnect keeps the stored
refresh-token envelope untouched unless the platform issued a new refresh token, and revocation at
disconnect is handed (as ciphertext) to the ``social_events`` worker.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from pynamodb.exceptions import DoesNotExist

from lily.billing import entitlements
from lily.core import clock, crypto, ids, queues
from lily.core.db import condition_failed, is_live
from lily.core.errors import ErrorCode, LilyError, invalid, not_found
from lily.core.observability import count, logger
from lily.social.models import AccountSelection, OAuthState, SocialConnection, SocialNotice
from lily.social.platforms import PLATFORMS, adapter
from lily.social.platforms.base import Account, PlatformError, TokenSet
from lily.social.settings import social_settings
from lily.social.tokens import seal_access, seal_refresh

QUOTA = "social_profiles"
EVENTS_QUEUE = "social_events"


# ---------------------------------------------------------------- views


class ConnectionView(BaseModel):
    """What a client sees of a connection (never its tokens): read straight off the model's attributes."""

    model_config = ConfigDict(from_attributes=True)

    connection_id: str
    platform: str
    account_id: str
    account_kind: str
    account_name: str
    handle: str | None = None
    avatar_url: str | None = None
    scopes: list[str] = Field(default_factory=list)
    status: str
    status_reason: str | None = None
    created_by: str
    created_at: datetime
    last_used_at: datetime | None = None
    last_checked_at: datetime | None = None

    @classmethod
    def of(cls, c: SocialConnection) -> ConnectionView:
        return cls.model_validate(c)


class ConnectStart(BaseModel):
    platform: str
    authorize_url: str
    redirect_uri: str
    expires_at: datetime


class AccountChoice(BaseModel):
    account_id: str
    kind: str
    name: str
    handle: str | None = None
    avatar_url: str | None = None


class ConnectResult(BaseModel):
    status: str = Field(description="connected | select_account")
    platform: str
    org_id: str
    connections: list[ConnectionView] = Field(default_factory=list)
    selection_id: str | None = None
    accounts: list[AccountChoice] = Field(default_factory=list)
    selection_expires_at: datetime | None = None


class NoticeView(BaseModel):
    notice_id: str
    kind: str
    connection_id: str
    platform: str
    account_name: str | None = None
    reason: str | None = None
    created_at: datetime


# ---------------------------------------------------------------- helpers


def _oauth_error(message: str, **details) -> LilyError:
    count("social_oauth_failures_total", reason=details.get("reason", "other"))
    return LilyError(ErrorCode.SOCIAL_002, message, details)


def _check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise invalid(f"unknown platform {platform!r}", platforms=list(PLATFORMS))


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def connection_id_for(org_id: str, platform: str, account_id: str) -> str:
    """Deterministic: one connection per (organization, platform, account)."""
    return "soc_" + _hash(f"{org_id}|{platform}|{account_id}")[:26]


def _pkce() -> tuple[str, str]:
    verifier = ids.token(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


# ---------------------------------------------------------------- connect


def start_connect(org_id: str, user_id: str, platform: str, redirect_uri: str | None = None) -> ConnectStart:
    """Create a single-use state bound to the user and organization; return the platform's authorize URL."""
    _check_platform(platform)
    s = social_settings()
    registered = s.callback_url(platform)
    if redirect_uri is not None and redirect_uri != registered:
        raise _oauth_error("redirect_uri is not registered", reason="redirect_mismatch", registered=registered)
    a = adapter(platform)
    state = ids.token(32)
    state_hash = _hash(state)
    verifier_envelope, challenge = None, None
    if a.uses_pkce:
        verifier, challenge = _pkce()
        verifier_envelope = crypto.encrypt(verifier, {"org_id": org_id, "state_hash": state_hash})
    now = clock.now()
    expires = now + timedelta(seconds=s.state_ttl_s)
    OAuthState(
        state_hash,
        org_id=org_id,
        user_id=user_id,
        platform=platform,
        redirect_uri=registered,
        verifier_envelope=verifier_envelope,
        created_at=now,
        expires_at=expires,
    ).save()
    count("social_connect_started_total", platform=platform)
    return ConnectStart(
        platform=platform,
        authorize_url=a.authorize_url(state, registered, challenge),
        redirect_uri=registered,
        expires_at=expires,
    )


def _claim_state(state: str, platform: str, redirect_uri: str, user_id: str | None, org_id: str | None) -> OAuthState:
    """Check every binding, then mark the state used (exactly one caller wins)."""
    if not state:
        raise _oauth_error("state is missing", reason="state_missing")
    try:
        item = OAuthState.get(_hash(state), consistent_read=True)
    except DoesNotExist:
        item = None
    if not is_live(item) or item.used_at is not None:
        raise _oauth_error("state is invalid, expired or already used", reason="state_invalid")
    if item.platform != platform or item.redirect_uri != redirect_uri:
        raise _oauth_error("redirect_uri does not match the authorization request", reason="redirect_mismatch")
    if (user_id is not None and item.user_id != user_id) or (org_id is not None and item.org_id != org_id):
        raise _oauth_error("state was issued to another user or organization", reason="state_foreign")
    try:
        item.update(actions=[OAuthState.used_at.set(clock.now())], condition=OAuthState.used_at.does_not_exist())
    except Exception as exc:
        if condition_failed(exc):
            raise _oauth_error("state already used", reason="state_invalid") from None
        raise
    return item


def complete(
    platform: str,
    code: str | None,
    state: str | None,
    *,
    redirect_uri: str | None = None,
    user_id: str | None = None,
    org_id: str | None = None,
    error: str | None = None,
) -> ConnectResult:
    """Finish an authorization: claim the state, exchange the code, fetch the accounts, connect or offer a choice.

    The public callback passes neither ``user_id`` nor ``org_id`` (the state authenticates it); the
    authenticated completion route passes both and they must match the state's.
    """
    _check_platform(platform)
    s = social_settings()
    registered = s.callback_url(platform)
    item = _claim_state(state or "", platform, redirect_uri or registered, user_id, org_id)
    if error:
        raise _oauth_error("the platform did not grant access", reason="denied", platform_error=error[:64])
    if not code:
        raise _oauth_error("code is missing", reason="code_missing")
    verifier = None
    if item.verifier_envelope:
        verifier = crypto.decrypt_text(item.verifier_envelope, {"org_id": item.org_id, "state_hash": item.state_hash})
    a = adapter(platform)
    try:
        tokens = a.exchange_code(code, item.redirect_uri, verifier)
        accounts = a.accounts(tokens)
    except PlatformError as exc:
        raise _oauth_error(
            "the platform refused the authorization code", reason="exchange_failed", platform_kind=exc.kind.value
        ) from None
    if not accounts:
        raise _oauth_error(f"this {platform} login has no account Lily can publish to", reason="no_accounts")
    grant_id = ids.new_id("grant")
    if len(accounts) == 1:
        conn = _create_or_reconnect(item.org_id, item.user_id, platform, accounts[0], tokens, grant_id)
        return ConnectResult(
            status="connected", platform=platform, org_id=item.org_id, connections=[ConnectionView.of(conn)]
        )
    return _offer_selection(item, platform, accounts, tokens, grant_id)


def _offer_selection(
    item: OAuthState, platform: str, accounts: list[Account], tokens: TokenSet, grant_id: str
) -> ConnectResult:
    selection_id = ids.new_id("sel")
    choices = [
        AccountChoice(account_id=a.account_id, kind=a.kind, name=a.name, handle=a.handle, avatar_url=a.avatar_url)
        for a in accounts
    ]
    secret_doc = {
        "grant": tokens.model_dump(),
        "accounts": [{**a.model_dump(), "tokens": a.tokens.model_dump() if a.tokens else None} for a in accounts],
    }
    now = clock.now()
    expires = now + timedelta(seconds=social_settings().state_ttl_s)
    AccountSelection(
        selection_id,
        org_id=item.org_id,
        user_id=item.user_id,
        platform=platform,
        grant_id=grant_id,
        accounts_json=json.dumps([c.model_dump() for c in choices]),
        candidates_envelope=crypto.encrypt(
            json.dumps(secret_doc), {"org_id": item.org_id, "selection_id": selection_id}
        ),
        created_at=now,
        expires_at=expires,
    ).save()
    return ConnectResult(
        status="select_account",
        platform=platform,
        org_id=item.org_id,
        selection_id=selection_id,
        accounts=choices,
        selection_expires_at=expires,
    )


def _selection(org_id: str, user_id: str, selection_id: str) -> AccountSelection:
    try:
        sel = AccountSelection.get(selection_id, consistent_read=True)
    except DoesNotExist:
        sel = None
    if not is_live(sel) or sel.used_at is not None or sel.org_id != org_id or sel.user_id != user_id:
        raise not_found("account selection", selection_id=selection_id)
    return sel


def selection_accounts(org_id: str, user_id: str, selection_id: str) -> ConnectResult:
    sel = _selection(org_id, user_id, selection_id)
    return ConnectResult(
        status="select_account",
        platform=sel.platform,
        org_id=org_id,
        selection_id=selection_id,
        accounts=[AccountChoice(**a) for a in json.loads(sel.accounts_json)],
        selection_expires_at=sel.expires_at,
    )


def select_accounts(org_id: str, user_id: str, selection_id: str, account_ids: list[str]) -> ConnectResult:
    """Connect the chosen accounts of a pending selection (single use)."""
    sel = _selection(org_id, user_id, selection_id)
    doc = json.loads(crypto.decrypt_text(sel.candidates_envelope, {"org_id": org_id, "selection_id": selection_id}))
    by_id = {a["account_id"]: a for a in doc["accounts"]}
    unknown = [a for a in account_ids if a not in by_id]
    if not account_ids or unknown:
        raise invalid("choose one or more of the offered accounts", unknown=unknown)
    try:
        sel.update(
            actions=[AccountSelection.used_at.set(clock.now())], condition=AccountSelection.used_at.does_not_exist()
        )
    except Exception as exc:
        if condition_failed(exc):
            raise not_found("account selection", selection_id=selection_id) from None
        raise
    grant = TokenSet(**doc["grant"])
    out = []
    for account_id in dict.fromkeys(account_ids):
        raw = dict(by_id[account_id])
        account_tokens = raw.pop("tokens", None)
        account = Account(**raw)
        tokens = TokenSet(**account_tokens) if account_tokens else grant
        out.append(
            ConnectionView.of(_create_or_reconnect(org_id, user_id, sel.platform, account, tokens, sel.grant_id))
        )
    return ConnectResult(status="connected", platform=sel.platform, org_id=org_id, connections=out)


def _create_or_reconnect(
    org_id: str, user_id: str, platform: str, account: Account, grant_tokens: TokenSet, grant_id: str
) -> SocialConnection:
    """THE one path that stores a connection. New ones consume ``social_profiles`` first."""
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
    entitlements.consume(org_id, QUOTA)  # raises PLAN_002 over the plan's limit
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
    try:
        conn.save(condition=SocialConnection.connection_id.does_not_exist())
    except Exception as exc:
        entitlements.release(org_id, QUOTA)
        if condition_failed(exc):  # a concurrent completion stored it first: update that one instead
            return _create_or_reconnect(org_id, user_id, platform, account, grant_tokens, grant_id)
        raise
    count("social_connections_total", platform=platform, outcome="connected")
    logger.info(
        "social account connected",
        extra={"org_id": org_id, "connection_id": cid, "platform": platform, "account_kind": account.kind},
    )
    return conn


# ---------------------------------------------------------------- list, inspect, disconnect


def list_connections(org_id: str) -> list[ConnectionView]:
    return [ConnectionView.of(c) for c in SocialConnection.query(org_id)]


def _get(org_id: str, connection_id: str) -> SocialConnection:
    try:
        return SocialConnection.get(org_id, connection_id, consistent_read=True)
    except DoesNotExist:
        raise not_found("connection", connection_id=connection_id) from None


def get_connection(org_id: str, connection_id: str) -> ConnectionView:
    return ConnectionView.of(_get(org_id, connection_id))


def disconnect(org_id: str, connection_id: str, user_id: str) -> None:
    """Forget the connection, give back its profile, and ask the worker to revoke at the platform."""
    conn = _get(org_id, connection_id)
    try:
        conn.delete(condition=SocialConnection.connection_id.exists())
    except Exception as exc:
        if condition_failed(exc):
            raise not_found("connection", connection_id=connection_id) from None
        raise
    entitlements.release(org_id, QUOTA)
    siblings = [k for k in SocialConnection.by_grant.query(conn.grant_id) if k.connection_id != connection_id]
    if siblings:
        revoke = False  # another connection still uses this grant (Pages/orgs of one login)
    else:
        revoke = True
        queues.send(
            EVENTS_QUEUE,
            {
                "kind": "revoke",
                "event_id": ids.ulid(),
                "org_id": org_id,
                "connection_id": connection_id,
                "platform": conn.platform,
                "access_envelope": conn.access_envelope,
                "refresh_envelope": conn.refresh_envelope,
            },
        )
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


def notices(org_id: str, limit: int = 50) -> list[NoticeView]:
    return [
        NoticeView(
            notice_id=n.notice_id,
            kind=n.kind,
            connection_id=n.connection_id,
            platform=n.platform,
            account_name=n.account_name,
            reason=n.reason,
            created_at=n.created_at,
        )
        for n in SocialNotice.query(org_id, scan_index_forward=False, limit=limit)
    ]


# ---------------------------------------------------------------- status changes


def mark_needs_reauth(conn: SocialConnection, reason: str) -> bool:
    """Move an active connection to needs_reauth and emit an event for notifications (once)."""
    try:
        conn.update(
            actions=[
                SocialConnection.status.set("needs_reauth"),
                SocialConnection.status_reason.set(reason[:200]),
                SocialConnection.updated_at.set(clock.now()),
            ],
            condition=SocialConnection.status == "active",
        )
    except Exception as exc:
        if condition_failed(exc):
            return False
        raise
    queues.send(
        EVENTS_QUEUE,
        {
            "kind": "needs_reauth",
            "event_id": ids.ulid(),
            "org_id": conn.org_id,
            "connection_id": conn.connection_id,
            "platform": conn.platform,
            "account_name": conn.account_name,
            "reason": reason[:200],
        },
    )
    count("social_needs_reauth_total", platform=conn.platform)
    logger.warning(
        "social connection needs re-authorization",
        extra={"org_id": conn.org_id, "connection_id": conn.connection_id, "platform": conn.platform, "reason": reason},
    )
    return True


def record_notice(body: dict) -> bool:
    """Store a notification event (idempotent on its event id). Returns False for a duplicate."""
    notice = SocialNotice(
        body["org_id"],
        body["event_id"],
        kind=body["kind"],
        connection_id=body["connection_id"],
        platform=body["platform"],
        account_name=body.get("account_name"),
        reason=body.get("reason"),
        created_at=clock.now(),
    )
    try:
        notice.save(condition=SocialNotice.notice_id.does_not_exist())
    except Exception as exc:
        if condition_failed(exc):
            return False
        raise
    return True
