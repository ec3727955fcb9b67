"""Auth HTTP function: accounts and sessions under /api/auth (see docs/identity.md)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse

from lily.core.config import get_settings
from lily.core.errors import LilyError
from lily.core.http import create_app, http_handler
from lily.core.openapi import declares, errors
from lily.identity import password_reset, registration, sessions, two_factor
from lily.identity.access import Principal, authenticate, current_principal, current_user
from lily.identity.ratelimit import client_ip, rate_limit_middleware
from lily.identity.schemas import (
    Accepted,
    CodeIn,
    Credentials,
    DisableIn,
    EmailIn,
    MfaChallenge,
    PasswordChanged,
    PasswordIn,
    PublicUser,
    RegisterIn,
    ResetConfirmIn,
    ResetTokenCheck,
    SecondFactorIn,
    Session,
    SessionOut,
    TokenIn,
    TotpDisabledOut,
    TotpEnabledOut,
    TotpSetupOut,
)

REFRESH_COOKIE = "lily_refresh"
CSRF_COOKIE = "lily_csrf"
CSRF_HEADER = "X-CSRF-Token"

# Each path in ratelimit.FAIL_CLOSED_PATHS answers 503 SYSTEM_002 while the counter store is unreachable.
app = create_app("Lily auth", "Accounts, sessions, email verification, password reset and TOTP",
                 middleware=[rate_limit_middleware])


def _secure_cookies() -> bool:
    """Secure cookies wherever the public base URL is https; over plain http (local mode) a browser or client
    would never send a Secure cookie back."""
    return get_settings().public_base_url.lower().startswith("https://")


def _session_response(session: Session) -> JSONResponse:
    secure = _secure_cookies()
    body = SessionOut(**session.model_dump(exclude={"refresh_token", "refresh_expires_in"}))
    response = JSONResponse(body.model_dump(mode="json"))
    response.set_cookie(REFRESH_COOKIE, session.refresh_token, max_age=session.refresh_expires_in, path="/api/auth",
                        secure=secure, httponly=True, samesite="strict")
    response.set_cookie(CSRF_COOKIE, session.csrf_token, max_age=session.refresh_expires_in, path="/",
                        secure=secure, httponly=False, samesite="strict")
    return response


def _clear_cookies(response: Response) -> None:
    secure = _secure_cookies()
    response.delete_cookie(REFRESH_COOKIE, path="/api/auth", secure=secure, httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, httponly=False, samesite="strict")


@declares(errors=(401, 403), security={
    "refreshCookie": {"type": "apiKey", "in": "cookie", "name": REFRESH_COOKIE,
                      "description": "The refresh token set by login (HttpOnly, path /api/auth)"},
    "csrfHeader": {"type": "apiKey", "in": "header", "name": CSRF_HEADER,
                   "description": "The session's CSRF token (from the login answer or the readable lily_csrf cookie)"},
})
def session_proof(request: Request) -> tuple[str | None, str | None]:
    """The refresh cookie and the X-CSRF-Token header: sessions.refresh and logout load the refresh token once
    and refuse (403 AUTH_005) a header that is not the CSRF token of its session."""
    return request.cookies.get(REFRESH_COOKIE), request.headers.get(CSRF_HEADER)


@app.post("/api/auth/register", status_code=202, response_model=Accepted, tags=["auth"], responses=errors(503))
def register(body: RegisterIn) -> dict:
    return registration.register(body.email, body.password, body.registration_key)


@app.post("/api/auth/verify-email", response_model=PublicUser, tags=["auth"])
def verify_email(body: TokenIn) -> PublicUser:
    return registration.verify_email(body.token)


@app.get("/api/auth/verify-email", response_model=PublicUser, tags=["auth"],
         description="The link in the verification email")
def verify_email_link(token: str) -> PublicUser:
    return registration.verify_email(token)


@app.post("/api/auth/verify-email/resend", status_code=202, response_model=Accepted, tags=["auth"])
def resend(body: EmailIn) -> dict:
    return registration.resend_verification(body.email)


@app.post("/api/auth/password-reset/request", status_code=202, response_model=Accepted, tags=["auth"],
          responses=errors(503))
def reset_request(body: EmailIn) -> dict:
    return password_reset.request_password_reset(body.email)


@app.get("/api/auth/password-reset/confirm", tags=["auth"], response_model=ResetTokenCheck,
         description="The link in the reset email: tells whether the token is still valid")
def reset_link(token: str) -> dict:
    return password_reset.check_reset_token(token)


@app.post("/api/auth/password-reset/confirm", tags=["auth"], response_model=PasswordChanged, responses=errors(503))
def reset_confirm(body: ResetConfirmIn) -> dict:
    return password_reset.confirm_password_reset(body.token, body.new_password)


@app.post("/api/auth/login", tags=["auth"],
          responses={200: {"model": SessionOut | MfaChallenge}, **errors(401, 403, 429, 503)})
def login(body: Credentials, request: Request) -> Response:
    result = sessions.login(body.email, body.password, client_ip(request))
    if isinstance(result, MfaChallenge):
        return JSONResponse(result.model_dump())
    return _session_response(result)


@app.post("/api/auth/login/2fa", tags=["auth"], response_model=SessionOut, responses=errors(401, 403, 429, 503))
def login_2fa(body: SecondFactorIn, request: Request) -> Response:
    return _session_response(sessions.login_second_factor(body.challenge, body.code, body.backup_code,
                                                         client_ip(request)))


@app.post("/api/auth/refresh", tags=["auth"], response_model=SessionOut)
def refresh(proof: tuple[str | None, str | None] = Depends(session_proof)) -> Response:
    return _session_response(sessions.refresh(*proof))


@app.post("/api/auth/logout", status_code=204, tags=["auth"])
def logout(request: Request, proof: tuple[str | None, str | None] = Depends(session_proof)) -> Response:
    principal: Principal | None = None
    if request.headers.get("authorization"):
        try:
            principal = authenticate(request.headers.get("authorization"))
        except LilyError:
            principal = None
    sessions.logout(*proof, principal)
    response = Response(status_code=204)
    _clear_cookies(response)
    return response


@app.get("/api/auth/me", response_model=PublicUser, tags=["auth"])
def me(principal: Principal = Depends(current_user)) -> PublicUser:
    return sessions.me(principal)


@app.post("/api/auth/2fa/setup", tags=["auth"], response_model=TotpSetupOut, responses=errors(409, 503))
def totp_setup(body: PasswordIn, request: Request, principal: Principal = Depends(current_user)) -> dict:
    return two_factor.totp_setup(principal, body.password, client_ip(request))


@app.post("/api/auth/2fa/enable", tags=["auth"], response_model=TotpEnabledOut, responses=errors(409, 503))
def totp_enable(body: CodeIn, principal: Principal = Depends(current_user)) -> dict:
    return two_factor.totp_enable(principal, body.code)


@app.post("/api/auth/2fa/disable", tags=["auth"], response_model=TotpDisabledOut, responses=errors(409, 503))
def totp_disable(body: DisableIn, request: Request, principal: Principal = Depends(current_user)) -> dict:
    return two_factor.totp_disable(principal, body.password, body.code, body.backup_code, client_ip(request))


# Keep ``current_principal`` importable from here for symmetry with the other functions.
__all__ = ["app", "handler", "current_principal"]

handler = http_handler(app)
