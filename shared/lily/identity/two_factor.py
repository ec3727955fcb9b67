"""Two-factor authentication (TOTP): enrolment, turning it off, and checking a code or a backup code.

Each TOTP code works once (the step must be newer than the last one used) and each backup code works
once; both are used up with a conditional write, so two racing requests cannot both pass with one code.
"""

from __future__ import annotations

import hmac
from typing import Any

from lily.core import crypto
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError
from lily.identity import audit, passwords, ratelimit, totp
from lily.identity.access import Principal
from lily.identity.models import User
from lily.identity.settings import identity_settings
from lily.identity.users import account_key, require_user


def _totp_secret(user: User, pending: bool = False) -> str | None:
    envelope = user.totp_pending if pending else user.totp_secret
    if not envelope:
        return None
    return crypto.decrypt_text(envelope, {"user_id": user.user_id, "purpose": "totp"})


def second_factor_ok(user: User, code: str | None, backup_code: str | None) -> str | None:
    """Check (and use up) a TOTP code or a backup code; returns which one worked."""
    if code:
        secret = _totp_secret(user)
        step = totp.matching_step(secret, code) if secret else None
        if step is None:
            return None
        newer = User.totp_last_step < step
        return "totp" if won(lambda: user.update(actions=[User.totp_last_step.set(step)], condition=newer)) else None
    if backup_code:
        wanted = totp.hash_backup(backup_code)
        codes = list(user.backup_codes or [])
        i = next((i for i, stored in enumerate(codes) if hmac.compare_digest(stored, wanted)), None)
        if i is None:
            return None
        unused = User.backup_codes[i] == codes[i]
        return "backup_code" if won(lambda: user.update(actions=[User.backup_codes[i].remove()],
                                                        condition=unused)) else None
    return None


def _reauthenticate(user: User, password: str, ip: str, action: str) -> None:
    """A stolen access token alone must not change the second factor: the password again, throttled as login is."""
    key = account_key(user.email)
    ratelimit.throttle_login(key, ip)
    if not passwords.verify_password(user.password_hash, password or ""):
        ratelimit.record_failure(key, ip)
        audit.record(action, "failure", actor_id=user.user_id)
        raise LilyError(ErrorCode.AUTH_006, "Your password is required")


def totp_setup(principal: Principal, password: str, ip: str) -> dict[str, str]:
    """Start enrolment (needs the password: re-authentication)."""
    user = require_user(principal)
    if user.totp_enabled:
        raise LilyError(ErrorCode.VALIDATION_003, "Two-factor authentication is already on")
    _reauthenticate(user, password, ip, "auth.2fa_setup")
    secret = totp.new_secret()
    envelope = crypto.encrypt(secret, {"user_id": user.user_id, "purpose": "totp"})
    user.update(actions=[User.totp_pending.set(envelope)])
    audit.record("auth.2fa_setup", "success", actor_id=user.user_id)
    return {"secret": secret, "provisioning_uri": totp.provisioning_uri(secret, user.email,
                                                                          identity_settings().totp_issuer)}


def totp_enable(principal: Principal, code: str) -> dict[str, Any]:
    user = require_user(principal)
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
    user = require_user(principal)
    if not user.totp_enabled:
        raise LilyError(ErrorCode.VALIDATION_003, "Two-factor authentication is off")
    key = account_key(user.email)
    ratelimit.throttle_login(key, ip)
    if not passwords.verify_password(user.password_hash, password or "") or \
            second_factor_ok(user, code, backup_code) is None:
        ratelimit.record_failure(key, ip)
        audit.record("auth.2fa_disable", "failure", actor_id=user.user_id)
        raise LilyError(ErrorCode.AUTH_006, "Password and a valid second factor are required")
    user.refresh()
    user.update(actions=[User.totp_secret.remove(), User.totp_enabled.set(False), User.backup_codes.set([])])
    audit.record("auth.2fa_disable", "success", actor_id=user.user_id)
    return {"enabled": False}
