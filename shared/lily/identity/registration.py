"""Registration and email verification.

Registering never makes a platform admin, except the one address ``LILY_BOOTSTRAP_ADMIN_EMAIL`` names
(:mod:`lily.identity.platform_admins`). Registering an address that already has an account answers the same as a new
one and emails the owner instead.
"""

from __future__ import annotations

import hmac

from lily.core import clock, ids
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count
from lily.identity import audit, email, passwords
from lily.identity.access import PlatformRole
from lily.identity.auth_tokens import consume_token, invalid_token, issue_token
from lily.identity.models import User, UserEmail
from lily.identity.platform_admins import is_bootstrap_admin
from lily.identity.schemas import PublicUser
from lily.identity.settings import identity_settings
from lily.identity.users import (
    ACCEPTED,
    get_user,
    limit_mail,
    link,
    mail_allowed,
    normalise_email,
    public_user,
    uniform_time,
    user_by_email,
)


def _send_verification(user: User) -> None:
    secret = issue_token("verify_email", identity_settings().verify_token_ttl_s, user_id=user.user_id)
    url = link("/api/auth/verify-email", secret)
    email.send(user.email, "Verify your Lily email address",
               f"Welcome to Lily. Confirm your address by opening:\n{url}\n", [url], kind="verify_email")


def _claim(address: str, user_id: str) -> bool:
    """Claim an address for ``user_id``: False when it is taken."""
    return won(lambda: UserEmail(address, user_id=user_id).save(condition=UserEmail.email.does_not_exist()))


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
        if not _claim(addr, user_id):
            existing = user_by_email(addr)
            notified = mail_allowed(addr)  # the answer stays 202: a 429 here would tell the address exists
            if notified:
                email.send(addr, "Someone tried to register with your address",
                           "An account with this address already exists. If this was you, sign in or reset "
                           "your password.", kind="duplicate_register")
            audit.record("auth.register", "duplicate", actor_id=existing.user_id if existing else None,
                         details={"notified": notified})
            return ACCEPTED
        role = PlatformRole.super_admin.value if is_bootstrap_admin(addr) else None
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
        raise invalid_token()
    user.update(actions=[User.email_verified.set(True)])
    audit.record("auth.verify_email", "success", actor_id=user.user_id)
    return public_user(user)


def resend_verification(email_in: str) -> dict[str, str]:
    with uniform_time():
        addr = normalise_email(email_in)
        limit_mail(addr)
        user = user_by_email(addr)
        if user is not None and not user.email_verified:
            _send_verification(user)
    return ACCEPTED
