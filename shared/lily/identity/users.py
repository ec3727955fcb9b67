"""Users and their email addresses: lookup, the public view, and the rules every email-keyed public
operation shares.

Public, email-keyed operations (register, resend, reset request) answer identically whether or not the
address exists (:data:`ACCEPTED`), take at least ``enumeration_floor_ms`` (:func:`uniform_time`) and
limit the emails an address receives (:func:`limit_mail`), counted for unknown addresses too. Registering an
address that has an account answers 202 like any other; its "someone tried to register" email is counted in the
same per-address budget and silently not sent beyond it (:func:`mail_allowed`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from lily.core import clock
from lily.core.config import get_settings
from lily.core.errors import ErrorCode, LilyError
from lily.identity import ratelimit
from lily.identity.access import Principal
from lily.identity.hashing import hash_secret
from lily.identity.models import Membership, User, UserEmail
from lily.identity.schemas import EMAIL_PATTERN, PublicUser
from lily.identity.settings import identity_settings

EMAIL_RE = re.compile(EMAIL_PATTERN)
ACCEPTED = {"status": "accepted"}


def normalise_email(value: str) -> str:
    e = (value or "").strip().lower()
    if len(e) > 254 or not EMAIL_RE.match(e):
        raise LilyError(ErrorCode.VALIDATION_001, "Invalid email address")
    return e


def account_key(email_addr: str) -> str:
    return hash_secret("acct:" + email_addr)


def get_user(user_id: str) -> User | None:
    try:
        return User.get(user_id)
    except User.DoesNotExist:
        return None


def user_by_email(email_addr: str) -> User | None:
    if not email_addr:  # an empty key is not a lookup DynamoDB accepts
        return None
    try:
        claim = UserEmail.get(email_addr)
    except UserEmail.DoesNotExist:
        return None
    return get_user(claim.user_id)


def require_user(principal: Principal) -> User:
    user = get_user(principal.user_id or "")
    if user is None:
        raise LilyError(ErrorCode.AUTH_002, "Invalid or expired credentials")
    return user


def public_user(user: User, with_orgs: bool = False) -> PublicUser:
    orgs = []
    if with_orgs:
        orgs = [{"org_id": m.org_id, "role": m.role} for m in Membership.by_user.query(user.user_id)]
    return PublicUser(user_id=user.user_id, email=user.email, email_verified=bool(user.email_verified),
                      platform_role=user.platform_role, totp_enabled=bool(user.totp_enabled), status=user.status,
                      created_at=clock.iso(user.created_at), orgs=orgs)


def link(path: str, secret: str) -> str:
    """A link for an email: the public base URL, ``path`` and the single-use token."""
    return f"{get_settings().public_base_url.rstrip('/')}{path}?token={quote(secret)}"


@contextmanager
def uniform_time() -> Iterator[None]:
    """Make an email-keyed public operation take at least the configured floor (no measurable gap)."""
    floor = identity_settings().enumeration_floor_ms / 1000
    start = time.monotonic()
    try:
        yield
    finally:
        remaining = floor - (time.monotonic() - start)
        if remaining > 0:
            time.sleep(remaining)


def mail_allowed(email_addr: str) -> bool:
    """Count one email to ``email_addr``: False once the address had ``resend_per_hour`` this hour."""
    n = ratelimit.hit(f"mail#{account_key(email_addr)}#{int(clock.now_ts() // 3600)}", 7200)
    return n <= identity_settings().resend_per_hour


def limit_mail(email_addr: str) -> None:
    """Per-address limit on verification/reset emails (429); counted for unknown addresses too."""
    if not mail_allowed(email_addr):
        wait = int(3600 - clock.now_ts() % 3600) + 1
        raise LilyError(ErrorCode.RATE_001, "Too many requests", {"retry_after_s": wait},
                        headers={"Retry-After": str(wait)})
