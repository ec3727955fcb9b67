"""Connecting an account: the OAuth dance (single-use state bound to the user and organization, PKCE
where the platform uses it), then connecting the one account the login grants, or offering a choice
when it grants several (Facebook Pages, LinkedIn organizations) and connecting the chosen ones.

A flow finishes only in the browser or for the user that started it: the start answers with a
``browser_secret`` the function sets as a short-lived HttpOnly cookie (its sha256 is kept with the state),
and the public callback refuses a state whose cookie is missing or different. Without that, anyone could start
a flow in their organization, send the ``authorize_url`` to a victim, and the victim's approval would connect
the victim's account to the attacker's organization (PKCE does not help: the verifier belongs to the
attacker's state). The authenticated ``/complete`` route needs no cookie: it is bound to the user instead.

Every connection is stored through :func:`lily.social.connections.create_or_reconnect`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import NamedTuple

from pynamodb.exceptions import DoesNotExist

from lily.core import clock, crypto, ids
from lily.core.db import is_live, won
from lily.core.errors import ErrorCode, LilyError, invalid, not_found
from lily.core.observability import count
from lily.social.connections import create_or_reconnect
from lily.social.models import AccountSelection, OAuthState
from lily.social.platforms import PLATFORMS, adapter
from lily.social.platforms.base import Account, PlatformError, TokenSet
from lily.social.ports import SocialPorts
from lily.social.schemas import AccountChoice, ConnectionView, ConnectResult, ConnectStart
from lily.social.settings import social_settings


def _oauth_error(message: str, **details) -> LilyError:
    count("social_oauth_failures_total", reason=details.get("reason", "other"))
    return LilyError(ErrorCode.SOCIAL_002, message, details)


def _check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise invalid(f"unknown platform {platform!r}", platforms=list(PLATFORMS))


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _pkce() -> tuple[str, str]:
    verifier = ids.token(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


FLOW_COOKIE_PREFIX = "lily_oauth_"


class ConnectFlow(NamedTuple):
    """A started flow: what the caller sees, and the secret its browser must bring back to the callback."""

    start: ConnectStart
    cookie_name: str
    browser_secret: str


def flow_cookie_name(state: str) -> str:
    """The cookie carrying one flow's browser secret (one per flow, so two tabs do not collide)."""
    return FLOW_COOKIE_PREFIX + _hash(state)[:16]


def start_connect(org_id: str, user_id: str, platform: str, redirect_uri: str | None = None) -> ConnectFlow:
    """Create a single-use state bound to the user, organization and browser; return the authorize URL."""
    _check_platform(platform)
    s = social_settings()
    registered = s.callback_url(platform)
    if redirect_uri is not None and redirect_uri != registered:
        raise _oauth_error("redirect_uri is not registered", reason="redirect_mismatch", registered=registered)
    a = adapter(platform)
    state = ids.token(32)
    state_hash = _hash(state)
    browser_secret = ids.token(32)
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
        browser_hash=_hash(browser_secret),
        created_at=now,
        expires_at=expires,
    ).save()
    count("social_connect_started_total", platform=platform)
    start = ConnectStart(
        platform=platform,
        authorize_url=a.authorize_url(state, registered, challenge),
        redirect_uri=registered,
        expires_at=expires,
    )
    return ConnectFlow(start=start, cookie_name=flow_cookie_name(state), browser_secret=browser_secret)


def _same_browser(item: OAuthState, browser_secret: str | None) -> bool:
    return bool(item.browser_hash and browser_secret) and hmac.compare_digest(
        item.browser_hash, _hash(browser_secret or "")
    )


def _claim_state(
    state: str, platform: str, redirect_uri: str, user_id: str | None, org_id: str | None, browser_secret: str | None
) -> OAuthState:
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
    if user_id is None and not _same_browser(item, browser_secret):
        raise _oauth_error(
            "this browser did not start the connection; start it again from Lily", reason="browser_mismatch"
        )
    if not won(lambda: item.update(actions=[OAuthState.used_at.set(clock.now())],
                                   condition=OAuthState.used_at.does_not_exist())):
        raise _oauth_error("state already used", reason="state_invalid")
    return item


def complete(
    ports: SocialPorts,
    platform: str,
    code: str | None,
    state: str | None,
    *,
    redirect_uri: str | None = None,
    user_id: str | None = None,
    org_id: str | None = None,
    browser_secret: str | None = None,
    error: str | None = None,
) -> ConnectResult:
    """Finish an authorization: claim the state, exchange the code, fetch the accounts, connect or offer a choice.

    The public callback passes the flow cookie's ``browser_secret`` (it must match the one issued at start);
    the authenticated completion route passes ``user_id`` and ``org_id`` instead, which must match the state's.
    """
    _check_platform(platform)
    s = social_settings()
    registered = s.callback_url(platform)
    item = _claim_state(state or "", platform, redirect_uri or registered, user_id, org_id, browser_secret)
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
        conn = create_or_reconnect(ports, item.org_id, item.user_id, platform, accounts[0], tokens, grant_id)
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


def select_accounts(ports: SocialPorts, org_id: str, user_id: str, selection_id: str,
                    account_ids: list[str]) -> ConnectResult:
    """Connect the chosen accounts of a pending selection (single use)."""
    sel = _selection(org_id, user_id, selection_id)
    doc = json.loads(crypto.decrypt_text(sel.candidates_envelope, {"org_id": org_id, "selection_id": selection_id}))
    by_id = {a["account_id"]: a for a in doc["accounts"]}
    unknown = [a for a in account_ids if a not in by_id]
    if not account_ids or unknown:
        raise invalid("choose one or more of the offered accounts", unknown=unknown)
    if not won(lambda: sel.update(actions=[AccountSelection.used_at.set(clock.now())],
                                  condition=AccountSelection.used_at.does_not_exist())):
        raise not_found("account selection", selection_id=selection_id)  # a concurrent request used it
    grant = TokenSet(**doc["grant"])
    out = []
    for account_id in dict.fromkeys(account_ids):
        raw = dict(by_id[account_id])
        account_tokens = raw.pop("tokens", None)
        account = Account(**raw)
        tokens = TokenSet(**account_tokens) if account_tokens else grant
        stored = create_or_reconnect(ports, org_id, user_id, sel.platform, account, tokens, sel.grant_id)
        out.append(ConnectionView.of(stored))
    return ConnectResult(status="connected", platform=sel.platform, org_id=org_id, connections=out)
