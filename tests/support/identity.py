"""Identity helpers for tests, against the ``http`` fixture (a TestClient over the local gateway).

    user = register_user(http)                      # verified, signed in
    org_id = create_org(http, user["headers"])      # user is the owner
    viewer = add_member(http, user["headers"], org_id, "viewer")
    http.get(f"/api/orgs/{org_id}/members", headers=viewer["headers"])

Email links are followed through the local outbox (the same path a person takes), except where
a helper says it calls the service directly.
"""

from __future__ import annotations

import itertools
import uuid
from urllib.parse import parse_qs, urlparse

from tests.support.billing import ensure_plan_allows, set_plan

DEFAULT_PASSWORD = "Lily-Test-Passw0rd!"
_seq = itertools.count()


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{next(_seq)}-{uuid.uuid4().hex[:8]}@example.com"


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def outbox(http, to: str | None = None) -> list[dict]:
    r = http.get("/_local/outbox", params={"to": to} if to else None)
    assert r.status_code == 200, r.text
    return r.json()


def latest_link(http, to: str, path: str) -> str:
    """The newest link to ``path`` emailed to ``to`` (as a path + query usable with the client)."""
    for message in outbox(http, to):
        for link in message["links"]:
            parsed = urlparse(link)
            if parsed.path == path:
                return f"{parsed.path}?{parsed.query}"
    raise AssertionError(f"no email to {to} with a link to {path}")


def link_token(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


def login(http, email: str, password: str) -> dict:
    r = http.post("/api/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def register_user(http, email: str | None = None, password: str | None = None, verified: bool = True) -> dict:
    """Register (and by default verify and sign in) a user.

    Returns ``{"user_id", "email", "password", "token", "headers"}``; ``token``/``headers`` are None
    when ``verified=False`` (an unverified user cannot sign in).
    """
    email = email or new_email()
    password = password or DEFAULT_PASSWORD
    r = http.post("/api/auth/register", json={"email": email, "password": password})
    assert r.status_code == 202, r.text
    result = {"user_id": None, "email": email, "password": password, "token": None, "headers": None}
    if not verified:
        from lily.identity.users import normalise_email, user_by_email

        user = user_by_email(normalise_email(email))
        result["user_id"] = user.user_id if user else None
        return result
    link = latest_link(http, email, "/api/auth/verify-email")
    r = http.get(link)
    assert r.status_code == 200, r.text
    result["user_id"] = r.json()["user_id"]
    session = login(http, email, password)
    result["token"] = session["access_token"]
    result["headers"] = auth_headers(session["access_token"])
    return result


def make_super_admin(http, user: dict) -> dict:
    """Grant ``user`` super_admin with the operator command and sign in again (tokens carry the role)."""
    from functions.admin_cli.__main__ import main

    assert main(["grant-super-admin", user["email"]]) == 0
    session = login(http, user["email"], user["password"])
    return {**user, "token": session["access_token"], "headers": auth_headers(session["access_token"])}


def create_org(http, headers: dict, name: str | None = None) -> str:
    r = http.post("/api/orgs", json={"name": name or f"Org {uuid.uuid4().hex[:6]}"}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["org_id"]


def invite_and_accept(http, inviter_headers: dict, org_id: str, user: dict, role: str) -> None:
    """Invite ``user`` and accept through the emailed link (upgrading the plan when every seat is taken)."""
    ensure_plan_allows(org_id, "team_seats")
    r = http.post(f"/api/orgs/{org_id}/invites", json={"email": user["email"], "role": role},
                  headers=inviter_headers)
    assert r.status_code == 201, r.text
    token = link_token(latest_link(http, user["email"], "/api/invites/accept"))
    r = http.post("/api/invites/accept", json={"token": token}, headers=user["headers"])
    assert r.status_code == 200, r.text


def add_member(http, owner_headers: dict, org_id: str, role: str) -> dict:
    """A new verified, signed-in user who is a member of ``org_id`` with ``role``.

    viewer/editor/admin arrive through the real invitation flow; ``owner`` is made by transferring
    ownership (the previous owner becomes admin).
    """
    user = register_user(http)
    if role == "owner":
        invite_and_accept(http, owner_headers, org_id, user, "viewer")
        r = http.post(f"/api/orgs/{org_id}/transfer", json={"user_id": user["user_id"]}, headers=owner_headers)
        assert r.status_code == 200, r.text
    else:
        invite_and_accept(http, owner_headers, org_id, user, role)
    return user


def create_api_key(http, admin_headers: dict, org_id: str, scopes: list[str] | None = None,
                   role: str = "editor") -> dict:
    """Create an org API key (on a plan that has them); returns the creation body plus ``headers`` for using it."""
    from lily.billing import entitlements

    if not entitlements.check(org_id, "api_keys"):
        set_plan(org_id, "starter")
    r = http.post(f"/api/orgs/{org_id}/api-keys", json={"name": "test key", "scopes": scopes or [], "role": role},
                  headers=admin_headers)
    assert r.status_code == 201, r.text
    body = r.json()
    body["headers"] = auth_headers(body["key"])
    return body
