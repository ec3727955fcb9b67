"""CSRF tokens bound to their session: HMAC-SHA256 of the refresh family id with a server key.

The token is handed out with each session (body and readable ``lily_csrf`` cookie); refresh and logout accept
the ``X-CSRF-Token`` header only when it is the HMAC of the family of the refresh cookie sent with it, so a
token from another session (or one an attacker planted in the cookie) is refused. The session code loads the
refresh token once and hands its family to :func:`check`. Keys come from the secret ``csrf-keys``
(:func:`lily.identity.settings.csrf_keys`).
"""

from __future__ import annotations

import hashlib
import hmac

from lily.core.errors import ErrorCode, LilyError
from lily.identity.settings import csrf_keys


def _mac(key: str, family_id: str) -> str:
    return hmac.new(key.encode(), f"csrf:{family_id}".encode(), hashlib.sha256).hexdigest()


def csrf_token(family_id: str) -> str:
    return _mac(csrf_keys()[0], family_id)


def refused() -> LilyError:
    return LilyError(ErrorCode.AUTH_005, "CSRF check failed")


def check(family_id: str, presented: str) -> None:
    """Raise AUTH_005 unless ``presented`` is the CSRF token of refresh family ``family_id``."""
    if not any(hmac.compare_digest(_mac(key, family_id).encode(), presented.encode()) for key in csrf_keys()):
        raise refused()
