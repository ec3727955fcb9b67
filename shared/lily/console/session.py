"""The console's session: the API's own refresh token and CSRF token, kept in cookies of the console's path.

The browser holds, under ``/app`` only, the refresh token (HttpOnly) and the session's CSRF token (HttpOnly too:
pages embed it in each form and in htmx's request headers, so no script reads a cookie). Each request the console
serves exchanges the refresh token at ``POST /api/auth/refresh`` (the API's rotation and reuse detection apply
unchanged), uses the access token it gets for that request's API calls only, and sets the rotated refresh token
and CSRF token back. The access token never reaches the browser. Logout calls ``POST /api/auth/logout``, which
revokes the session family.

Before sign-in the same CSRF cookie holds a random token (double submit), so the sign-in, sign-up and reset forms
are protected as well. SameSite=Lax: a platform's OAuth redirect back to the console is a cross-site navigation,
and Strict would drop the session on it; every state change is a POST checked against the CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from lily.console.client import CSRF_HEADER, REFRESH_COOKIE, ApiError, LilyClient

SESSION_COOKIE = "lily_console_session"
CSRF_COOKIE = "lily_console_csrf"
ORG_COOKIE = "lily_console_org"
PATH = "/app"
SESSION_MAX_AGE_S = 30 * 24 * 3600


@dataclass
class CookieChange:
    name: str
    value: str | None  # None: delete
    http_only: bool = True
    max_age: int | None = SESSION_MAX_AGE_S


@dataclass
class Session:
    """One request's view of the signed-in person: an API client holding this request's access token."""

    api: LilyClient
    csrf: str
    user: dict[str, Any] | None = None
    changes: list[CookieChange] = field(default_factory=list)

    @property
    def signed_in(self) -> bool:
        return self.user is not None


def csrf_ok(cookie_value: str | None, presented: str | None) -> bool:
    return bool(cookie_value and presented) and hmac.compare_digest(cookie_value, presented)


def anonymous(base_url: str, cookies: dict[str, str]) -> Session:
    csrf = cookies.get(CSRF_COOKIE)
    session = Session(api=LilyClient(base_url), csrf=csrf or secrets.token_urlsafe(24))
    if not csrf:
        session.changes.append(CookieChange(CSRF_COOKIE, session.csrf))
    return session


def start(session: Session, answer_body: dict[str, Any], api_cookies: dict[str, str]) -> None:
    """After a sign-in: keep the refresh token and the session's CSRF token."""
    refresh = api_cookies.get(REFRESH_COOKIE)
    if not refresh:
        raise ApiError(502, "SYSTEM_001", "The sign-in answer carried no session")
    session.api.access_token = answer_body["access_token"]
    session.user = answer_body.get("user")
    session.csrf = answer_body["csrf_token"]
    session.changes += [CookieChange(SESSION_COOKIE, refresh), CookieChange(CSRF_COOKIE, session.csrf)]


def resume(base_url: str, cookies: dict[str, str]) -> Session:
    """Exchange the session cookie for this request's access token; anonymous when there is none or it is over."""
    refresh, csrf = cookies.get(SESSION_COOKIE), cookies.get(CSRF_COOKIE)
    session = anonymous(base_url, cookies)
    if not (refresh and csrf):
        return session
    try:
        answer = session.api.call("refresh", headers={CSRF_HEADER: csrf}, cookies={REFRESH_COOKIE: refresh})
    except ApiError as exc:
        if exc.status >= 500:
            raise
        end(session)
        return session
    start(session, answer.body, answer.cookies)
    return session


def end(session: Session) -> None:
    session.user = None
    session.api.access_token = None
    session.csrf = secrets.token_urlsafe(24)
    session.changes += [CookieChange(SESSION_COOKIE, None), CookieChange(ORG_COOKIE, None),
                        CookieChange(CSRF_COOKIE, session.csrf)]


def logout(session: Session, cookies: dict[str, str]) -> None:
    """Revoke the session family at the API (the refresh token just rotated in :func:`resume` is the live one)."""
    refresh = next((c.value for c in reversed(session.changes) if c.name == SESSION_COOKIE), None)
    if refresh:
        try:
            session.api.call("logout", headers={CSRF_HEADER: session.csrf}, cookies={REFRESH_COOKIE: refresh})
        except ApiError as exc:
            if exc.status >= 500:
                raise
    end(session)
