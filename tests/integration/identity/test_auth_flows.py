"""Sessions over HTTP: register → verify → login → 2FA → refresh → logout, CSRF, refresh reuse."""

import pyotp

from lily.core import clock
from lily.identity.models import User
from tests.support.identity import (
    DEFAULT_PASSWORD,
    latest_link,
    link_token,
    login,
    make_super_admin,
    new_email,
    register_user,
)

PASSWORD = "Sturdy-Passw0rd-42"


def _csrf(http) -> dict:
    return {"X-CSRF-Token": http.cookies.get("lily_csrf")}


def _enable_2fa(http, headers, password: str = DEFAULT_PASSWORD) -> tuple[str, list[str]]:
    # Enrolment needs the password again (a stolen access token alone cannot change the second factor)
    assert http.post("/api/auth/2fa/setup", json={"password": "Not-The-Passw0rd"}, headers=headers).status_code == 401
    setup = http.post("/api/auth/2fa/setup", json={"password": password}, headers=headers)
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    assert setup.json()["provisioning_uri"].startswith("otpauth://totp/")
    assert http.post("/api/auth/2fa/enable", json={"code": "000000"}, headers=headers).status_code == 401
    r = http.post("/api/auth/2fa/enable", json={"code": pyotp.TOTP(secret).now()}, headers=headers)
    assert r.status_code == 200
    codes = r.json()["backup_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def _next_code(secret: str) -> str:
    """A code for the next time step (the current one was used at enrolment)."""
    clock.advance(30)
    return pyotp.TOTP(secret).at(clock.now())


def test_full_session_with_totp(http, monkeypatch):
    from lily.core.config import reset_settings

    # Given a deployment served over https (cookies are Secure exactly then)
    monkeypatch.setenv("LILY_PUBLIC_BASE_URL", "https://testserver")
    reset_settings()
    # Register and verify through the emailed link
    email = new_email()
    assert http.post("/api/auth/register", json={"email": email, "password": PASSWORD}).status_code == 202
    assert http.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()["error"]["code"] == \
        "AUTH_007"
    link = latest_link(http, email, "/api/auth/verify-email")
    assert http.get(link).status_code == 200
    assert http.get(link).status_code == 422  # single use
    # Login: access token in the body, refresh token in a strict HttpOnly cookie scoped to /api/auth
    r = http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200
    cookies = r.headers.get_list("set-cookie")
    refresh_cookie = next(c for c in cookies if c.startswith("lily_refresh="))
    for attr in ("HttpOnly", "Secure", "SameSite=strict", "Path=/api/auth"):
        assert attr.lower() in refresh_cookie.lower()
    assert "refresh_token" not in r.json()
    # Registering first makes nobody an admin: 15-minute access tokens; a platform admin's last 30
    assert r.json()["expires_in"] == 15 * 60
    me = http.get("/api/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).json()
    assert me["platform_role"] is None
    admin = make_super_admin(http, register_user(http))
    assert login(http, admin["email"], admin["password"])["expires_in"] == 30 * 60
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    # Enable 2FA
    secret, _codes = _enable_2fa(http, headers, PASSWORD)
    # Login now needs the second factor
    challenge = http.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    assert challenge["mfa_required"] is True and "access_token" not in challenge
    code = _next_code(secret)
    r = http.post("/api/auth/login/2fa", json={"challenge": challenge["challenge"], "code": code})
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert http.get("/api/auth/me", headers=headers).json()["totp_enabled"] is True
    # The same code does not work twice
    again = http.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    assert http.post("/api/auth/login/2fa", json={"challenge": again["challenge"], "code": code}).status_code == 401
    # Refresh rotates (needs CSRF), logout ends the session
    r = http.post("/api/auth/refresh", headers=_csrf(http))
    assert r.status_code == 200, r.text
    new_headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert http.get("/api/auth/me", headers=new_headers).status_code == 200
    assert http.post("/api/auth/logout", headers={**_csrf(http), **new_headers}).status_code == 204
    assert http.get("/api/auth/me", headers=new_headers).status_code == 401
    assert http.get("/api/auth/me", headers=headers).status_code == 401  # same family: revoked too


def test_a_user_without_a_password_hash_cannot_log_in(http):
    # Given a verified user whose stored hash is empty (no password was ever set)
    user = register_user(http)
    stored = User.get(user["user_id"])
    stored.update(actions=[User.password_hash.set("")])
    # When anyone tries the password the dummy verification uses, or the old one
    for password in ("lily-dummy-password-for-timing", user["password"]):
        r = http.post("/api/auth/login", json={"email": user["email"], "password": password})
        # Then the login fails like any wrong password
        assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH_002", r.text


def test_backup_code_login_works_once(http):
    user = register_user(http)
    _secret, codes = _enable_2fa(http, user["headers"])
    for expected in (200, 401):
        challenge = login(http, user["email"], user["password"])["challenge"]
        r = http.post("/api/auth/login/2fa", json={"challenge": challenge, "backup_code": codes[0].upper()})
        assert r.status_code == expected
    r = http.post("/api/auth/refresh", headers=_csrf(http))
    assert r.status_code == 200
    csrf, old_refresh = _csrf(http), http.cookies.get("lily_refresh")
    assert http.post("/api/auth/logout", headers=csrf).status_code == 204
    assert http.cookies.get("lily_refresh") is None  # cleared
    # Even replaying the logged-out refresh token (with a valid double submit) fails
    http.cookies.set("lily_csrf", csrf["X-CSRF-Token"])
    _replace_refresh_cookie(http, old_refresh) if http.cookies.get("lily_refresh") else http.cookies.set(
        "lily_refresh", old_refresh, path="/api/auth")
    assert http.post("/api/auth/refresh", headers=csrf).status_code == 401


def test_disabling_2fa_needs_password_and_code(http):
    user = register_user(http)
    secret, codes = _enable_2fa(http, user["headers"])
    assert http.post("/api/auth/2fa/disable", json={"password": user["password"]},
                     headers=user["headers"]).status_code == 401
    assert http.post("/api/auth/2fa/disable", json={"password": "wrong-Passw0rd!!", "backup_code": codes[1]},
                     headers=user["headers"]).status_code == 401
    r = http.post("/api/auth/2fa/disable", json={"password": user["password"], "code": _next_code(secret)},
                  headers=user["headers"])
    assert r.status_code == 200 and r.json() == {"enabled": False}
    assert "access_token" in login(http, user["email"], user["password"])


def _replace_refresh_cookie(http, value: str) -> None:
    for cookie in list(http.cookies.jar):
        if cookie.name == "lily_refresh":
            http.cookies.set("lily_refresh", value, domain=cookie.domain, path=cookie.path)


def test_reused_refresh_token_revokes_its_family(http):
    user = register_user(http)
    stolen = http.cookies.get("lily_refresh", path="/api/auth")
    csrf = _csrf(http)
    first = http.post("/api/auth/refresh", headers=csrf)
    assert first.status_code == 200
    fresh_access = {"Authorization": f"Bearer {first.json()['access_token']}"}
    # The attacker replays the rotated token
    _replace_refresh_cookie(http, stolen)
    r = http.post("/api/auth/refresh", headers=_csrf(http))
    assert r.status_code == 401 and r.json()["error"]["details"]["reason"] == "reused"
    # Every token of the family is dead: the newest access token and the newest refresh token
    assert http.get("/api/auth/me", headers=fresh_access).status_code == 401
    assert http.get("/api/auth/me", headers=user["headers"]).status_code == 401


def test_refresh_and_logout_need_a_matching_csrf_header(http):
    user = register_user(http)
    for path in ("/api/auth/refresh", "/api/auth/logout"):
        assert http.post(path).json()["error"]["code"] == "AUTH_005"
        assert http.post(path, headers={"X-CSRF-Token": "not-the-cookie"}).status_code == 403
    assert http.post("/api/auth/refresh", headers=_csrf(http)).status_code == 200
    assert user["token"]


def test_password_reset_through_the_emailed_link_ends_old_sessions(http):
    user = register_user(http)
    assert http.post("/api/auth/password-reset/request", json={"email": user["email"]}).status_code == 202
    link = latest_link(http, user["email"], "/api/auth/password-reset/confirm")
    assert http.get(link).json() == {"valid": True}
    token = link_token(link)
    weak = http.post("/api/auth/password-reset/confirm", json={"token": token, "new_password": "short"})
    assert weak.status_code == 422
    new_password = "Brand-New-Passw0rd-7"
    r = http.post("/api/auth/password-reset/confirm", json={"token": token, "new_password": new_password})
    assert r.status_code == 200
    assert http.post("/api/auth/password-reset/confirm",
                     json={"token": token, "new_password": new_password}).status_code == 422
    assert http.get("/api/auth/me", headers=user["headers"]).status_code == 401
    assert "access_token" in login(http, user["email"], new_password)


def test_a_password_reset_keeps_two_factor_and_ends_every_session(http):
    user = register_user(http)
    secret, _codes = _enable_2fa(http, user["headers"])
    assert http.post("/api/auth/password-reset/request", json={"email": user["email"]}).status_code == 202
    token = link_token(latest_link(http, user["email"], "/api/auth/password-reset/confirm"))
    new_password = "Reset-But-Still-2FA-9"
    assert http.post("/api/auth/password-reset/confirm",
                     json={"token": token, "new_password": new_password}).status_code == 200
    assert http.get("/api/auth/me", headers=user["headers"]).status_code == 401
    # The new password alone does not sign in: the second factor survived the reset
    challenge = http.post("/api/auth/login", json={"email": user["email"], "password": new_password}).json()
    assert challenge["mfa_required"] is True and "access_token" not in challenge
    r = http.post("/api/auth/login/2fa", json={"challenge": challenge["challenge"], "code": _next_code(secret)})
    assert r.status_code == 200 and "access_token" in r.json()


def test_closed_registration_needs_the_key(http, monkeypatch):
    from lily.core.config import reset_settings

    monkeypatch.setenv("LILY_REGISTRATION_MODE", "closed")
    monkeypatch.setenv("LILY_REGISTRATION_KEY", "let-me-in-please")
    reset_settings()
    body = {"email": new_email(), "password": PASSWORD}
    assert http.post("/api/auth/register", json=body).status_code == 403
    assert http.post("/api/auth/register", json={**body, "registration_key": "nope"}).status_code == 403
    assert http.post("/api/auth/register", json={**body, "registration_key": "let-me-in-please"}).status_code == 202


def test_weak_passwords_are_refused(http):
    for pw in ("short1A!", "alllowercaseletters", "Password123!"[:11], "aaaaaaaaaaaaaaaaaaaaaaaa"):
        r = http.post("/api/auth/register", json={"email": new_email(), "password": pw})
        assert r.status_code == 422, pw
