"""Accounts and sessions: register, verify, reset, login (with TOTP), refresh rotation, logout.

Public, email-keyed operations (register, resend, reset request) answer identically whether or
not the address exists and take at least ``enumeration_floor_ms``; login burns an argon2 verify on
a dummy hash for unknown addresses and counts failures for them too.
"""

from __future__ import annotations

import hmac
import re
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from lily.core import clock, crypto, ids
from lily.core.config import get_settings
from lily.core.db import condition_failed
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count, logger
from lily.identity import audit, email, passwords, ratelimit, totp
from lily.identity.access import PlatformRole, Principal
from lily.identity.models import AuthToken, Membership, Revocation, User, UserEmail
from lily.identity.settings import identity_settings
from lily.identity.tokens import hash_secret, issue_access

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")
FIRST_USER = "#super_admin"
ACCEPTED = {"status": "accepted"}


# --- models returned to handlers ---------------------------------------------------------------------------


class PublicUser(BaseModel):
    user_id: str
    email: str
    email_verified: bool
    platform_role: PlatformRole | None = None
    totp_enabled: bool = False
    status: str = "active"
    created_at: str
    orgs: list[dict[str, str]] = []


class Session(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    csrf_token: str
    user: PublicUser


class MfaChallenge(BaseModel):
    mfa_required: bool = True
    challenge: str
    expires_in: int


# --- helpers -----------------------------------------------------------------------------------------------


def normalise_email(value: str) -> str:
    e = (value or "").strip().lower()
    if len(e) > 254 or not EMAIL_RE.match(e):
        raise LilyError(ErrorCode.VALIDATION_001, "Invalid email address")
    return e


def account_key(email_addr: str) -> str:
    return hash_secret("acct:" + email_addr)


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


@contextmanager
def uniform_time():
    """Make an email-keyed public operation take at least the configured floor (no measurable gap)."""
    floor = identity_settings().enumeration_floor_ms / 1000
    start = time.monotonic()
    try:
        yield
    finally:
        remaining = floor - (time.monotonic() - start)
        if remaining > 0:
            time.sleep(remaining)


def _link(path: str, secret: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}{path}?token={quote(secret)}"


def issue_token(kind: str, ttl_s: int, user_id: str | None = None, data: dict[str, Any] | None = None,
                family_id: str | None = None) -> str:
    secret = ids.token()
    now = clock.now()
    AuthToken(hash_secret(secret), kind=kind, user_id=user_id, data=data or {}, family_id=family_id,
              created_at=now, expires_at=now + timedelta(seconds=ttl_s)).save()
    return secret


def _invalid_token() -> LilyError:
    return LilyError(ErrorCode.VALIDATION_001, "Invalid or expired token")


def peek_token(kind: str, secret: str) -> AuthToken:
    try:
        item = AuthToken.get(hash_secret(secret or ""))
    except AuthToken.DoesNotExist:
        raise _invalid_token() from None
    if item.kind != kind or item.used_at is not None or item.expires_at.timestamp() <= clock.now_ts():
        raise _invalid_token()
    return item


def consume_token(kind: str, secret: str) -> AuthToken:
    """Use a single-use token exactly once (a conditional write decides between racing requests)."""
    item = peek_token(kind, secret)
    try:
        item.update(actions=[AuthToken.used_at.set(clock.now())], condition=AuthToken.used_at.does_not_exist())
    except Exception as exc:
        if condition_failed(exc):
            raise _invalid_token() from None
        raise
    return item


def get_user(user_id: str) -> User | None:
    try:
        return User.get(user_id)
    except User.DoesNotExist:
        return None


def user_by_email(email_addr: str) -> User | None:
    try:
        claim = UserEmail.get(email_addr)
    except UserEmail.DoesNotExist:
        return None
    return get_user(claim.user_id)


def public_user(user: User, with_orgs: bool = False) -> PublicUser:
    orgs = []
    if with_orgs:
        orgs = [{"org_id": m.org_id, "role": m.role} for m in Membership.by_user.query(user.user_id)]
    return PublicUser(user_id=user.user_id, email=user.email, email_verified=bool(user.email_verified),
                      platform_role=user.platform_role, totp_enabled=bool(user.totp_enabled), status=user.status,
                      created_at=clock.iso(user.created_at), orgs=orgs)


def revoke(key: str, ttl_s: int, reason: str, not_before: float | None = None) -> None:
    Revocation(key, reason=reason, not_before=not_before,
               expires_at=_dt(clock.now_ts() + ttl_s)).save()


def revoke_all_sessions(user_id: str, reason: str) -> None:
    """Every token issued before now dies (refresh families included)."""
    s = identity_settings()
    revoke(f"user#{user_id}", s.refresh_ttl_s + 60, reason, not_before=clock.now_ts())


def _user_not_before(user_id: str) -> float:
    try:
        item = Revocation.get(f"user#{user_id}")
    except Revocation.DoesNotExist:
        return 0.0
    if item.expires_at.timestamp() <= clock.now_ts():
        return 0.0
    return float(item.not_before or 0)


def _mail_limit(email_addr: str) -> None:
    """Per-address limit on verification/reset emails; counted for unknown addresses too."""
    s = identity_settings()
    n = ratelimit.hit(f"mail#{account_key(email_addr)}#{int(clock.now_ts() // 3600)}", 7200)
    if n > s.resend_per_hour:
        wait = int(3600 - clock.now_ts() % 3600) + 1
        raise LilyError(ErrorCode.RATE_001, "Too many requests", {"retry_after_s": wait},
                        headers={"Retry-After": str(wait)})


def _send_verification(user: User) -> None:
    secret = issue_token("verify_email", identity_settings().verify_token_ttl_s, user_id=user.user_id)
    link = _link("/api/auth/verify-email", secret)
    email.send(user.email, "Verify your Lily email address",
               f"Welcome to Lily. Confirm your address by opening:\n{link}\n", [link], kind="verify_email")


# --- registration and email ---------------------------------------------------------------------------------


def register(email_in: str, password: str, registration_key: str | None = None) -> dict[str, str]:
    s = identity_settings()
    with uniform_time():
        if s.registration_mode == "closed":
            key = s.registration_key or ""
            if not key or not hmac.compare_digest(key.encode(), (registration_key or "").encode()):
                audit.record("auth.register", "denied", details={"reason": "registration key"})
                raise LilyError(ErrorCode.AUTH_003, "Registration is closed")
        addr = normalise_email(email_in)
        passwords.check_strength(password, addr)
        password_hash = passwords.hash_password(password)
        user_id = ids.new_id("usr")
        try:
            UserEmail(addr, user_id=user_id).save(condition=UserEmail.email.does_not_exist())
        except Exception as exc:
            if not condition_failed(exc):
                raise
            existing = user_by_email(addr)
            email.send(addr, "Someone tried to register with your address",
                       "An account with this address already exists. If this was you, sign in or reset "
                       "your password.", kind="duplicate_register")
            audit.record("auth.register", "duplicate", actor_id=existing.user_id if existing else None)
            return ACCEPTED
        role = None
        try:
            UserEmail(FIRST_USER, user_id=user_id).save(condition=UserEmail.email.does_not_exist())
            role = PlatformRole.super_admin.value
        except Exception as exc:
            if not condition_failed(exc):
                raise
        user = User(user_id, email=addr, password_hash=password_hash, email_verified=False, platform_role=role,
                    status="active", created_at=clock.now())
        user.save()
        _send_verification(user)
        audit.record("auth.register", "success", actor_id=user_id, details={"platform_role": role})
        count("users_registered_total")
    return ACCEPTED


def verify_email(secret: str) -> PublicUser:
    item = consume_token("verify_email", secret)
    user = get_user(item.user_id or "")
    if user is None:
        raise _invalid_token()
    user.update(actions=[User.email_verified.set(True)])
    audit.record("auth.verify_email", "success", actor_id=user.user_id)
    return public_user(user)


def resend_verification(email_in: str) -> dict[str, str]:
    with uniform_time():
        addr = normalise_email(email_in)
        _mail_limit(addr)
        user = user_by_email(addr)
        if user is not None and not user.email_verified:
            _send_verification(user)
    return ACCEPTED


def request_password_reset(email_in: str) -> dict[str, str]:
    with uniform_time():
        addr = normalise_email(email_in)
        _mail_limit(addr)
        user = user_by_email(addr)
        if user is not None:
            secret = issue_token("password_reset", identity_settings().reset_token_ttl_s, user_id=user.user_id)
            link = _link("/api/auth/password-reset/confirm", secret)
            email.send(addr, "Reset your Lily password",
                       f"Open this link to choose a new password (valid for one hour):\n{link}\n", [link],
                       kind="password_reset")
            audit.record("auth.password_reset_request", "success", actor_id=user.user_id)
    return ACCEPTED


def check_reset_token(secret: str) -> dict[str, bool]:
    peek_token("password_reset", secret)
    return {"valid": True}


def confirm_password_reset(secret: str, new_password: str) -> dict[str, str]:
    item = peek_token("password_reset", secret)
    user = get_user(item.user_id or "")
    if user is None:
        raise _invalid_token()
    passwords.check_strength(new_password, user.email)
    consume_token("password_reset", secret)
    user.update(actions=[User.password_hash.set(passwords.hash_password(new_password)),
                         User.email_verified.set(True)])
    revoke_all_sessions(user.user_id, "password reset")
    ratelimit.clear_failures(account_key(user.email))
    audit.record("auth.password_reset", "success", actor_id=user.user_id)
    return {"status": "password_changed"}


# --- login, second factor, sessions -------------------------------------------------------------------------


def _bad_login() -> LilyError:
    return LilyError(ErrorCode.AUTH_002, "Invalid email or password")


def start_session(user: User, family_id: str | None = None) -> Session:
    s = identity_settings()
    family_id = family_id or ids.new_id("fam")
    refresh = issue_token("refresh", s.refresh_ttl_s, user_id=user.user_id, family_id=family_id)
    ttl = s.access_ttl_admin_s if user.platform_role else s.access_ttl_user_s
    extra: dict[str, Any] = {"email": user.email, "fam": family_id}
    if user.platform_role:
        extra["prole"] = user.platform_role
    access, _ = issue_access(user.user_id, ttl, extra)
    return Session(access_token=access, expires_in=ttl, refresh_token=refresh, refresh_expires_in=s.refresh_ttl_s,
                   csrf_token=ids.token(24), user=public_user(user))


def login(email_in: str, password: str, ip: str) -> Session | MfaChallenge:
    s = identity_settings()
    try:
        addr = normalise_email(email_in)
    except LilyError:
        addr = (email_in or "").strip().lower()[:254]
    key = account_key(addr)
    wait = ratelimit.locked_for(key, ip)
    if wait > 0:
        audit.record("auth.login", "locked", details={"account": key[:16]})
        raise ratelimit.locked_error(wait)
    user = user_by_email(addr)
    ok = passwords.verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None:
        ratelimit.record_failure(key, ip)
        audit.record("auth.login", "failure", actor_id=user.user_id if user else None)
        raise _bad_login()
    ratelimit.clear_failures(key)
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


def _totp_secret(user: User, pending: bool = False) -> str | None:
    envelope = user.totp_pending if pending else user.totp_secret
    if not envelope:
        return None
    return crypto.decrypt_text(envelope, {"user_id": user.user_id, "purpose": "totp"})


def _second_factor_ok(user: User, code: str | None, backup_code: str | None) -> str | None:
    """Check (and use up) a TOTP code or a backup code; returns which one worked."""
    if code:
        secret = _totp_secret(user)
        step = totp.matching_step(secret, code) if secret else None
        if step is None:
            return None
        try:  # each code works once: the step must be newer than the last one used
            user.update(actions=[User.totp_last_step.set(step)], condition=User.totp_last_step < step)
        except Exception as exc:
            if condition_failed(exc):
                return None
            raise
        return "totp"
    if backup_code:
        wanted = totp.hash_backup(backup_code)
        codes = list(user.backup_codes or [])
        for i, stored in enumerate(codes):
            if hmac.compare_digest(stored, wanted):
                try:
                    user.update(actions=[User.backup_codes[i].remove()],
                                condition=User.backup_codes[i] == stored)
                except Exception as exc:
                    if condition_failed(exc):
                        return None
                    raise
                return "backup_code"
    return None


def login_second_factor(challenge: str, code: str | None, backup_code: str | None, ip: str) -> Session:
    item = peek_token("mfa", challenge)
    user = get_user(item.user_id or "")
    if user is None:
        raise _invalid_token()
    key = account_key(user.email)
    wait = ratelimit.locked_for(key, ip)
    if wait > 0:
        raise ratelimit.locked_error(wait)
    used = _second_factor_ok(user, code, backup_code)
    if used is None:
        ratelimit.record_failure(key, ip)
        audit.record("auth.login_2fa", "failure", actor_id=user.user_id)
        raise LilyError(ErrorCode.AUTH_006, "Second factor required or invalid")
    consume_token("mfa", challenge)
    ratelimit.clear_failures(key)
    audit.record("auth.login_2fa", "success", actor_id=user.user_id, details={"method": used})
    return start_session(get_user(user.user_id) or user)


def _session_invalid(reason: str) -> LilyError:
    return LilyError(ErrorCode.AUTH_002, "Invalid or expired credentials", {"reason": reason})


def _family_revoked(family_id: str) -> bool:
    try:
        item = Revocation.get(f"family#{family_id}")
    except Revocation.DoesNotExist:
        return False
    return item.expires_at.timestamp() > clock.now_ts()


def refresh(refresh_secret: str | None) -> Session:
    """Rotate: the presented refresh token is used up and a new one of the same family is issued.

    Presenting a token that was already rotated means it leaked: the whole family is revoked.
    """
    s = identity_settings()
    if not refresh_secret:
        raise _session_invalid("no refresh token")
    try:
        item = AuthToken.get(hash_secret(refresh_secret))
    except AuthToken.DoesNotExist:
        raise _session_invalid("unknown") from None
    if item.kind != "refresh" or item.expires_at.timestamp() <= clock.now_ts() or not item.family_id:
        raise _session_invalid("expired")
    if _family_revoked(item.family_id):
        raise _session_invalid("revoked")
    reused = item.used_at is not None
    if not reused:
        try:
            item.update(actions=[AuthToken.used_at.set(clock.now())], condition=AuthToken.used_at.does_not_exist())
        except Exception as exc:
            if not condition_failed(exc):
                raise
            reused = True
    if reused:
        revoke(f"family#{item.family_id}", s.refresh_ttl_s + 60, "refresh token reuse")
        audit.record("auth.refresh_reuse", "revoked", actor_id=item.user_id, details={"family": item.family_id})
        count("refresh_reuse_total")
        raise _session_invalid("reused")
    user = get_user(item.user_id or "")
    if user is None or user.status != "active" or item.created_at.timestamp() < _user_not_before(user.user_id):
        raise _session_invalid("revoked")
    audit.record("auth.refresh", "success", actor_id=user.user_id)
    return start_session(user, family_id=item.family_id)


def logout(refresh_secret: str | None, principal: Principal | None) -> None:
    s = identity_settings()
    actor = principal.user_id if principal else None
    if refresh_secret:
        try:
            item = AuthToken.get(hash_secret(refresh_secret))
            if item.kind == "refresh" and item.family_id:
                revoke(f"family#{item.family_id}", s.refresh_ttl_s + 60, "logout")
                actor = actor or item.user_id
        except AuthToken.DoesNotExist:
            pass
    if principal and principal.token_id:
        revoke(f"jti#{principal.token_id}", s.access_ttl_admin_s + 60, "logout")
    audit.record("auth.logout", "success", actor_id=actor)


def me(principal: Principal) -> PublicUser:
    user = get_user(principal.user_id or "")
    if user is None:
        raise LilyError(ErrorCode.AUTH_002, "Invalid or expired credentials")
    return public_user(user, with_orgs=True)


# --- TOTP enrolment -----------------------------------------------------------------------------------------


def _require_user(principal: Principal) -> User:
    user = get_user(principal.user_id or "")
    if user is None:
        raise LilyError(ErrorCode.AUTH_002, "Invalid or expired credentials")
    return user


def totp_setup(principal: Principal) -> dict[str, str]:
    user = _require_user(principal)
    if user.totp_enabled:
        raise LilyError(ErrorCode.VALIDATION_003, "Two-factor authentication is already on")
    secret = totp.new_secret()
    envelope = crypto.encrypt(secret, {"user_id": user.user_id, "purpose": "totp"})
    user.update(actions=[User.totp_pending.set(envelope)])
    audit.record("auth.2fa_setup", "success", actor_id=user.user_id)
    return {"secret": secret, "provisioning_uri": totp.provisioning_uri(secret, user.email,
                                                                          identity_settings().totp_issuer)}


def totp_enable(principal: Principal, code: str) -> dict[str, Any]:
    user = _require_user(principal)
    if user.totp_enabled:
        raise LilyError(ErrorCode.VALIDATION_003, "Two-factor authentication is already on")
    secret = _totp_secret(user, pending=True)
    if secret is None:
        raise LilyError(ErrorCode.VALIDATION_003, "Start enrolment first")
    step = totp.matching_step(secret, code)
    if step is None:
        audit.record("auth.2fa_enable", "failure", actor_id=user.user_id)
        raise LilyError(ErrorCode.AUTH_006, "Second factor required or invalid")
    codes = totp.new_backup_codes()
    user.update(actions=[User.totp_secret.set(user.totp_pending), User.totp_pending.remove(),
                         User.totp_enabled.set(True), User.totp_last_step.set(step),
                         User.backup_codes.set([totp.hash_backup(c) for c in codes])])
    audit.record("auth.2fa_enable", "success", actor_id=user.user_id)
    return {"enabled": True, "backup_codes": codes}


def totp_disable(principal: Principal, password: str, code: str | None, backup_code: str | None,
                 ip: str) -> dict[str, bool]:
    """Turning 2FA off needs the password and a second factor again (re-authentication)."""
    user = _require_user(principal)
    if not user.totp_enabled:
        raise LilyError(ErrorCode.VALIDATION_003, "Two-factor authentication is off")
    key = account_key(user.email)
    wait = ratelimit.locked_for(key, ip)
    if wait > 0:
        raise ratelimit.locked_error(wait)
    if not passwords.verify_password(user.password_hash, password or "") or \
            _second_factor_ok(user, code, backup_code) is None:
        ratelimit.record_failure(key, ip)
        audit.record("auth.2fa_disable", "failure", actor_id=user.user_id)
        raise LilyError(ErrorCode.AUTH_006, "Password and a valid second factor are required")
    user.refresh()
    user.update(actions=[User.totp_secret.remove(), User.totp_enabled.set(False), User.backup_codes.set([])])
    audit.record("auth.2fa_disable", "success", actor_id=user.user_id)
    return {"enabled": False}


# --- platform administration ---------------------------------------------------------------------------------


def admin_find_user(email_addr: str) -> PublicUser:
    user = user_by_email(normalise_email(email_addr))
    if user is None:
        raise LilyError(ErrorCode.VALIDATION_004, "User not found")
    return public_user(user, with_orgs=True)


def admin_get_user(user_id: str) -> PublicUser:
    user = get_user(user_id)
    if user is None:
        raise LilyError(ErrorCode.VALIDATION_004, "User not found")
    return public_user(user, with_orgs=True)


def admin_update_user(actor: Principal, user_id: str, platform_role: str | None | Any = ...,
                      status: str | None = None) -> PublicUser:
    user = get_user(user_id)
    if user is None:
        raise LilyError(ErrorCode.VALIDATION_004, "User not found")
    if user_id == actor.user_id:
        raise LilyError(ErrorCode.VALIDATION_003, "You cannot change your own platform role or status")
    actions = []
    details: dict[str, Any] = {}
    if platform_role is not ...:
        role = PlatformRole(platform_role).value if platform_role else None
        actions.append(User.platform_role.set(role) if role else User.platform_role.remove())
        details["platform_role"] = role
    if status is not None:
        actions.append(User.status.set(status))
        details["status"] = status
    if actions:
        user.update(actions=actions)
        # New role or status applies now: outstanding tokens carry the old one.
        revoke_all_sessions(user_id, "admin change")
    audit.record("admin.user_update", "success", actor_id=actor.user_id, target=user_id, details=details)
    logger.info("user updated by admin", extra={"target": user_id})
    return public_user(user, with_orgs=True)
