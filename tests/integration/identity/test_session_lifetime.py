"""A session (refresh family) has an absolute lifetime and its CSRF token belongs to it alone."""

from lily.core import clock
from tests.support.identity import register_user

DAY = 24 * 3600


def _csrf(http) -> dict:
    return {"X-CSRF-Token": http.cookies.get("lily_csrf")}


def test_a_refresh_family_ends_thirty_days_after_login_whatever_the_rotations(http):
    register_user(http)
    # Rotating every six days keeps each refresh token fresh (7-day lifetime) ...
    for _ in range(4):
        clock.advance(6 * DAY)
        r = http.post("/api/auth/refresh", headers=_csrf(http))
        assert r.status_code == 200, r.text
    # ... but on day 24 the new refresh token lives only as long as the family has left (6 days, not 7)
    refresh_cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("lily_refresh="))
    max_age = int(refresh_cookie.split("Max-Age=")[1].split(";")[0])
    assert 6 * DAY - 60 < max_age <= 6 * DAY
    clock.advance(5 * DAY)
    assert http.post("/api/auth/refresh", headers=_csrf(http)).status_code == 200
    clock.advance(DAY)  # day 30: the family is over, although its newest token is one day old
    r = http.post("/api/auth/refresh", headers=_csrf(http))
    assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH_002"
    assert r.json()["error"]["details"]["reason"] == "expired"  # the token's TTL was capped at the family's end


def _set_cookie(http, name: str, value: str) -> None:
    for cookie in list(http.cookies.jar):
        if cookie.name == name:
            http.cookies.set(name, value, domain=cookie.domain, path=cookie.path)


def test_a_csrf_token_from_another_session_is_refused_even_when_echoed_in_the_cookie(http):
    user = register_user(http)
    other_session_csrf = http.cookies.get("lily_csrf")
    # A second sign-in is a second session (refresh family) with its own CSRF token
    r = http.post("/api/auth/login", json={"email": user["email"], "password": user["password"]})
    own_csrf = r.json()["csrf_token"]
    assert own_csrf != other_session_csrf and http.cookies.get("lily_csrf") == own_csrf
    # Double submit alone would accept a planted cookie matching the header; the binding does not
    _set_cookie(http, "lily_csrf", other_session_csrf)
    for path in ("/api/auth/refresh", "/api/auth/logout"):
        r = http.post(path, headers={"X-CSRF-Token": other_session_csrf})
        assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_005", path
    # The session's own token works (the cookie is only where the client reads it from)
    r = http.post("/api/auth/refresh", headers={"X-CSRF-Token": own_csrf})
    assert r.status_code == 200 and r.json()["csrf_token"] == own_csrf  # same family, same token
