"""The contract other capabilities code against: helpers, org_access, platform_access, API keys."""

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from lily.core.http import install_error_handlers
from lily.identity.access import (
    OrgAccess,
    OrgRole,
    PlatformRole,
    is_member,
    org_access,
    org_member_ids,
    platform_access,
)
from tests.support.identity import add_member, create_api_key, create_org, make_super_admin, register_user


def test_roles_are_ordered_by_power_not_alphabet():
    assert OrgRole.viewer < OrgRole.editor < OrgRole.admin < OrgRole.owner
    assert PlatformRole.moderator < PlatformRole.admin < PlatformRole.super_admin
    assert max(OrgRole) == OrgRole.owner and OrgRole.admin >= "editor"


def test_dependencies_carry_their_requirement_and_enforce_it(http):
    # The requirement is readable (the tenant isolation test reads every route's from the route table)
    dep = org_access(OrgRole.editor, scope="posts:write")
    assert (dep.min_role, dep.scope) == (OrgRole.editor, "posts:write")
    assert platform_access(PlatformRole.moderator).min_platform_role == PlatformRole.moderator
    # And a route that declares it answers by it
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/api/orgs/{org_id}/things")
    def write(org_id: str, access: OrgAccess = Depends(dep)) -> dict:
        return {"role": access.role.value, "subject": access.principal.subject}

    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    viewer, editor = (add_member(http, owner["headers"], org_id, r) for r in ("viewer", "editor"))
    writer = create_api_key(http, owner["headers"], org_id, scopes=["posts:write"])
    reader = create_api_key(http, owner["headers"], org_id, scopes=["posts:read"])
    outsider = register_user(http)
    client = TestClient(app)

    def call(headers: dict | None) -> tuple[int, str | None]:
        r = client.post(f"/api/orgs/{org_id}/things", headers=headers or {})
        return r.status_code, (r.json().get("error") or {}).get("code") or r.json().get("role")

    assert call(editor["headers"]) == (200, "editor")
    assert call(owner["headers"]) == (200, "owner")
    assert call(writer["headers"]) == (200, "editor")
    assert call(viewer["headers"]) == (403, "AUTH_003")
    assert call(reader["headers"]) == (403, "AUTH_003")  # an API key needs the scope too
    assert call(outsider["headers"])[0] == 404  # not a member: the organization is not revealed
    assert call(None) == (401, "AUTH_001")


def test_helpers_build_users_orgs_and_members(http):
    # Given an owner, an org and one member of each role
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    members = {role: add_member(http, owner["headers"], org_id, role) for role in ("viewer", "editor", "admin")}
    # Then the member list shows them with their roles
    r = http.get(f"/api/orgs/{org_id}/members", headers=members["viewer"]["headers"])
    assert r.status_code == 200
    roles = {m["user_id"]: m["role"] for m in r.json()["items"]}
    assert roles[owner["user_id"]] == "owner"
    assert all(roles[u["user_id"]] == role for role, u in members.items())
    assert set(org_member_ids(org_id)) == set(roles)
    assert is_member(org_id, members["editor"]["user_id"]) and not is_member(org_id, "usr_nobody")
    # And a viewer cannot invite (admin route), an admin can
    assert http.post(f"/api/orgs/{org_id}/invites", json={"email": "a@example.com"},
                     headers=members["viewer"]["headers"]).status_code == 403
    assert http.post(f"/api/orgs/{org_id}/invites", json={"email": "a@example.com"},
                     headers=members["admin"]["headers"]).status_code == 201


def test_api_key_acts_in_its_org_with_its_scopes_until_revoked(http):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    other_org = create_org(http, owner["headers"])
    key = create_api_key(http, owner["headers"], org_id, scopes=["members:read"])
    assert key["key"].startswith("lily_")
    # The key reads members (scope held) in its own org only
    assert http.get(f"/api/orgs/{org_id}/members", headers=key["headers"]).status_code == 200
    assert http.get(f"/api/orgs/{other_org}/members", headers=key["headers"]).status_code == 404
    # A key without the scope is refused
    bare = create_api_key(http, owner["headers"], org_id, scopes=[])
    assert http.get(f"/api/orgs/{org_id}/members", headers=bare["headers"]).json()["error"]["code"] == "AUTH_003"
    # Last use is recorded and the secret is never listed again
    listed = http.get(f"/api/orgs/{org_id}/api-keys", headers=owner["headers"]).json()["items"]
    mine = next(k for k in listed if k["key_id"] == key["key_id"])
    assert mine["last_used_at"] and "key" not in mine
    # Revoked keys stop working at once
    assert http.delete(f"/api/orgs/{org_id}/api-keys/{key['key_id']}", headers=owner["headers"]).status_code == 200
    assert http.get(f"/api/orgs/{org_id}/members", headers=key["headers"]).status_code == 401
    # A tampered key is refused
    assert http.get(f"/api/orgs/{org_id}/members",
                    headers={"Authorization": "Bearer " + bare["key"][:-2] + "xx"}).status_code == 401


def test_platform_roles_guard_admin_routes(http):
    first = make_super_admin(http, register_user(http))  # granted by the operator command
    second = register_user(http)
    assert http.get("/api/admin/audit", headers=second["headers"]).status_code == 403
    assert http.get("/api/admin/audit", headers=first["headers"]).status_code == 200
    r = http.patch(f"/api/admin/users/{second['user_id']}", json={"platform_role": "moderator"},
                   headers=first["headers"])
    assert r.status_code == 200 and r.json()["platform_role"] == "moderator"
    # The change revokes outstanding sessions; a fresh login carries the new role
    assert http.get("/api/auth/me", headers=second["headers"]).status_code == 401
    token = http.post("/api/auth/login", json={"email": second["email"], "password": second["password"]}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert token["expires_in"] == 30 * 60
    assert http.get("/api/admin/audit", headers=headers).status_code == 200
    assert http.get("/api/admin/settings", headers=headers).status_code == 403
