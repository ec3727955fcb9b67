"""The API's edges the fuzzer found: bad input is a 422 in Lily's error body (never a 500), 405 answers list
every method of the path, and cookies are Secure exactly when the public base URL is https."""

from __future__ import annotations

import pytest

from tests.support.identity import create_org, register_user

SURROGATE_BODY = b'{"text": "broken \\ud800 text", "targets": []}'


def _error_code(r) -> str:
    return r.json()["error"]["code"]


def test_login_with_an_empty_email_is_invalid_input(http):
    r = http.post("/api/auth/login", json={"email": "", "password": "x"})
    assert r.status_code == 422, r.text
    assert _error_code(r) == "VALIDATION_001"


@pytest.fixture
def org(http):
    user = register_user(http)
    return user["headers"], create_org(http, user["headers"])


def test_an_empty_media_id_is_refused_on_create_and_update(http, org):
    headers, org_id = org
    r = http.post(f"/api/orgs/{org_id}/posts", headers=headers, json={"text": "hi", "media_ids": [""]})
    assert r.status_code == 422, r.text
    r = http.post(f"/api/orgs/{org_id}/posts", headers=headers,
                  json={"text": "hi", "targets": [{"connection_id": "conn_1", "media_ids": [""]}]})
    assert r.status_code == 422, r.text
    r = http.post(f"/api/orgs/{org_id}/posts", headers=headers, json={"text": "hi"})
    assert r.status_code == 201, r.text
    post_id = r.json()["post_id"]
    r = http.patch(f"/api/orgs/{org_id}/posts/{post_id}", headers=headers, json={"media_ids": [""]})
    assert r.status_code == 422, r.text


def test_unpaired_surrogates_are_invalid_json(http, org):
    headers, org_id = org
    r = http.post(f"/api/orgs/{org_id}/posts", headers={**headers, "Content-Type": "application/json"},
                  content=SURROGATE_BODY)
    assert r.status_code == 422, r.text
    assert _error_code(r) == "VALIDATION_001"
    assert r.json()["error"]["details"]["errors"][0]["type"] == "json_invalid"
    r = http.post("/api/auth/register", headers={"Content-Type": "application/json"},
                  content=b'{"email": "a\\udfffb@example.com", "password": "x"}')
    assert r.status_code == 422, r.text


def test_405_lists_every_method_of_the_path(http, org):
    headers, org_id = org
    r = http.put(f"/api/orgs/{org_id}/posts", headers=headers)
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) >= {"GET", "POST"}
    r = http.post(f"/api/orgs/{org_id}/posts/p_1", headers=headers)
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}


@pytest.mark.parametrize(("base", "secure"), [("http://127.0.0.1:8000", False), ("https://api.example.com", True)])
def test_session_cookies_are_secure_only_over_https(http, monkeypatch, base, secure):
    from lily.core.config import reset_settings

    user = register_user(http)
    monkeypatch.setenv("LILY_PUBLIC_BASE_URL", base)
    reset_settings()
    r = http.post("/api/auth/login", json={"email": user["email"], "password": user["password"]})
    assert r.status_code == 200, r.text
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2
    assert all(("; secure" in c.lower()) is secure for c in cookies), cookies
