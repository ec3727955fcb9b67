"""Sessions: login (with a second-factor challenge when TOTP is on), refresh-token rotation, logout, me.

Login burns an argon2 verify on a dummy hash for unknown addresses and counts failures for them too.
A refresh token is used up when rotated; presenting one that was already rotated means it leaked, and
revokes its whole family. A family (a session) ends ``refresh_family_max_s`` after its login, whatever the
rotations: each refresh token carries the family's start and its TTL is capped at the family's end, so the
expiry check is the only lifetime check.
"""

from __future__ import annotations

from typing import Any

from lily.core import clock, ids
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count
from lily.identity import audit, csrf, passwords, ratelimit
from lily.identity.access import Principal
from lily.identity.auth_tokens import consume_token, invalid_token, issue_token, mark_used, peek_token
from lily.identity.hashing import hash_secret
from lily.identity.models import AuthToken, User
from lily.identity.revocation import family_revoked, revoke, user_not_before
from lily.identity.schemas import MfaChallenge, PublicUser, Session
from lily.identity.settings import identity_settings
from lily.identity.tokens import issue_access
from lily.identity.two_factor import second_factor_ok
from lily.identity.users import account_key, get_user, normalise_email, public_user, require_user, user_by_email


def _bad_login() -> LilyError:
    return LilyError(ErrorCode.AUTH_002, "Invalid email or password")


def _session_invalid(reason: str) -> LilyError:
    return LilyError(ErrorCode.AUTH_002, "Invalid or expired credentials", {"reason": reason})


def start_session(user: User, family_id: str | None = None, family_started: float | None = None) -> Session:
    """A new session (a new refresh family), or the next rotation of family ``family_id`` started then."""
    s = identity_settings()
    family_id = family_id or ids.new_id("fam")
    family_started = clock.now_ts() if family_started is None else family_started
    refresh_ttl = max(1, min(s.refresh_ttl_s, int(family_started + s.refresh_family_max_s - clock.now_ts())))
    refresh = issue_token("refresh", refresh_ttl, user_id=user.user_id, family_id=family_id,
                          data={"family_started": family_started})
    ttl = s.access_ttl_admin_s if user.platform_role else s.access_ttl_user_s
    extra: dict[str, Any] = {"email": user.email, "fam": family_id}
    if user.platform_role:
        extra["prole"] = user.platform_role
    access, _ = issue_access(user.user_id, ttl, extra)
    return Session(access_token=access, expires_in=ttl, refresh_token=refresh, refresh_expires_in=refresh_ttl,
                   csrf_token=csrf.csrf_token(family_id), user=public_user(user))


def login(email_in: str, password: str, ip: str) -> Session | MfaChallenge:
    s = identity_settings()
    try:
        addr = normalise_email(email_in)
    except LilyError:
        addr = (email_in or "").strip().lower()[:254]
    key = account_key(addr)
    try:
        ratelimit.throttle_login(key, ip)
    except LilyError:
        audit.record("auth.login", "locked", details={"account": key[:16]})
        raise
    user = user_by_email(addr)
    ok = passwords.verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None:
        ratelimit.record_failure(key, ip)
        audit.record("auth.login", "failure", actor_id=user.user_id if user else None)
        raise _bad_login()
    ratelimit.clear_failures(key, ip)
    if user.status != "active":
        audit.record("auth.login", "suspended", actor_id=user.user_id)
        raise LilyError(ErrorCode.AUTH_007, "Account suspended")
    if not user.email_verified:
        audit.record("auth.login", "unverified", actor_id=user.user_id)
        raise LilyError(ErrorCode.AUTH_007, "Email address not verified")
    if passwords.needs_rehash(user.password_hash):
        user.update(actions=[User.password_hash.set(passwords.hash_password(password))])
    if user.totp_enabled:
        challenge = issue_token("mfa", s.mfa_challenge_ttl_s, user_id=user.user_id)
        audit.record("auth.login", "mfa_challenge", actor_id=user.user_id)
        return MfaChallenge(challenge=challenge, expires_in=s.mfa_challenge_ttl_s)
    audit.record("auth.login", "success", actor_id=user.user_id)
    return start_session(user)


def login_second_factor(challenge: str, code: str | None, backup_code: str | None, ip: str) -> Session:
    item = peek_token("mfa", challenge)
    user = get_user(item.user_id or "")
    if user is None:
        raise invalid_token()
    key = account_key(user.email)
    ratelimit.throttle_login(key, ip)
    used = second_factor_ok(user, code, backup_code)
    if used is None:
        ratelimit.record_failure(key, ip)
        audit.record("auth.login_2fa", "failure", actor_id=user.user_id)
        raise LilyError(ErrorCode.AUTH_006, "Second factor required or invalid")
    consume_token("mfa", challenge)
    ratelimit.clear_failures(key, ip)
    audit.record("auth.login_2fa", "success", actor_id=user.user_id, details={"method": used})
    return start_session(get_user(user.user_id) or user)


def _presented_refresh(refresh_secret: str | None, presented_csrf: str | None) -> AuthToken:
    """The refresh token of the cookie, read once, when ``presented_csrf`` is its session's CSRF token.

    Anything else (no cookie, an unknown token, another session's CSRF token) is AUTH_005 (403).
    """
    item = None
    if refresh_secret and presented_csrf:
        try:
            item = AuthToken.get(hash_secret(refresh_secret))
        except AuthToken.DoesNotExist:
            item = None
    if item is None or item.kind != "refresh" or not item.family_id or not presented_csrf:
        raise csrf.refused()
    csrf.check(item.family_id, presented_csrf)
    return item


def refresh(refresh_secret: str | None, presented_csrf: str | None) -> Session:
    """Rotate: the presented refresh token is used up and a new one of the same family is issued.

    Presenting a token that was already rotated means it leaked: the whole family is revoked.
    """
    s = identity_settings()
    item = _presented_refresh(refresh_secret, presented_csrf)
    if item.expires_at.timestamp() <= clock.now_ts():
        raise _session_invalid("expired")
    if family_revoked(item.family_id):
        raise _session_invalid("revoked")
    family_started = float(item.data["family_started"])  # start_session writes it on every refresh token
    reused = item.used_at is not None or not mark_used(item)  # used before, or by a racing rotation
    if reused:
        revoke(f"family#{item.family_id}", s.refresh_ttl_s + 60, "refresh token reuse")
        audit.record("auth.refresh_reuse", "revoked", actor_id=item.user_id, details={"family": item.family_id})
        count("refresh_reuse_total")
        raise _session_invalid("reused")
    user = get_user(item.user_id or "")
    if user is None or user.status != "active" or item.created_at.timestamp() < user_not_before(user.user_id):
        raise _session_invalid("revoked")
    audit.record("auth.refresh", "success", actor_id=user.user_id)
    return start_session(user, family_id=item.family_id, family_started=family_started)


def logout(refresh_secret: str | None, presented_csrf: str | None, principal: Principal | None) -> None:
    """End the refresh cookie's session (its CSRF token must come with it) and, when signed in, the access token."""
    s = identity_settings()
    item = _presented_refresh(refresh_secret, presented_csrf)
    revoke(f"family#{item.family_id}", s.refresh_ttl_s + 60, "logout")
    if principal and principal.token_id:
        revoke(f"jti#{principal.token_id}", s.access_ttl_admin_s + 60, "logout")
    audit.record("auth.logout", "success", actor_id=principal.user_id if principal else item.user_id)


def me(principal: Principal) -> PublicUser:
    return public_user(require_user(principal), with_orgs=True)
