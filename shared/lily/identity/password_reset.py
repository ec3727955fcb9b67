"""Password reset by emailed single-use link; a reset revokes every session of the account."""

from __future__ import annotations

from lily.identity import audit, email, passwords, ratelimit
from lily.identity.auth_tokens import consume_token, invalid_token, issue_token, peek_token
from lily.identity.models import User
from lily.identity.revocation import revoke_all_sessions
from lily.identity.settings import identity_settings
from lily.identity.users import (
    ACCEPTED,
    account_key,
    get_user,
    limit_mail,
    link,
    normalise_email,
    uniform_time,
    user_by_email,
)


def request_password_reset(email_in: str) -> dict[str, str]:
    with uniform_time():
        addr = normalise_email(email_in)
        limit_mail(addr)
        user = user_by_email(addr)
        if user is not None:
            secret = issue_token("password_reset", identity_settings().reset_token_ttl_s, user_id=user.user_id)
            url = link("/api/auth/password-reset/confirm", secret)
            email.send(addr, "Reset your Lily password",
                       f"Open this link to choose a new password (valid for one hour):\n{url}\n", [url],
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
        raise invalid_token()
    passwords.check_strength(new_password, user.email)
    consume_token("password_reset", secret)
    user.update(actions=[User.password_hash.set(passwords.hash_password(new_password)),
                         User.email_verified.set(True)])
    revoke_all_sessions(user.user_id, "password reset")
    ratelimit.clear_failures(account_key(user.email), ratelimit.client_ip())
    audit.record("auth.password_reset", "success", actor_id=user.user_id)
    return {"status": "password_changed"}
