"""Organizations over HTTP: invitations, role changes, removal, leaving, ownership transfer, org audit."""

from lily.core import clock
from tests.support.billing import set_plan
from tests.support.identity import add_member, create_org, latest_link, link_token, register_user


def test_invitation_is_single_use_personal_and_expiring(http):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    set_plan(org_id, "pro")
    invitee, stranger = register_user(http), register_user(http)
    assert http.post(f"/api/orgs/{org_id}/invites", json={"email": invitee["email"], "role": "editor"},
                     headers=owner["headers"]).status_code == 201
    token = link_token(latest_link(http, invitee["email"], "/api/invites/accept"))
    # Someone else cannot use it
    assert http.post("/api/invites/accept", json={"token": token}, headers=stranger["headers"]).status_code == 403
    # The invitee can, once
    r = http.post("/api/invites/accept", json={"token": token}, headers=invitee["headers"])
    assert r.status_code == 200 and r.json()["role"] == "editor"
    assert http.post("/api/invites/accept", json={"token": token}, headers=invitee["headers"]).status_code in (409, 422)
    # An expired invitation is refused
    late = register_user(http)
    http.post(f"/api/orgs/{org_id}/invites", json={"email": late["email"]}, headers=owner["headers"])
    token = link_token(latest_link(http, late["email"], "/api/invites/accept"))
    clock.advance(8 * 24 * 3600)
    relogin = http.post("/api/auth/login", json={"email": late["email"], "password": late["password"]}).json()
    headers = {"Authorization": f"Bearer {relogin['access_token']}"}
    assert http.post("/api/invites/accept", json={"token": token}, headers=headers).status_code == 422


def test_role_rules_and_ownership_transfer(http):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    admin = add_member(http, owner["headers"], org_id, "admin")
    editor = add_member(http, owner["headers"], org_id, "editor")
    viewer = add_member(http, owner["headers"], org_id, "viewer")
    base = f"/api/orgs/{org_id}/members"
    # An admin manages editors and viewers, not admins or the owner
    def patch(who, target, role):
        return http.patch(f"{base}/{target['user_id']}", json={"role": role}, headers=who["headers"]).status_code

    assert patch(admin, viewer, "editor") == 200
    assert patch(admin, editor, "admin") == 403
    assert patch(admin, owner, "viewer") == 403
    assert patch(owner, editor, "owner") == 422
    # Remove and leave
    assert http.delete(f"{base}/{viewer['user_id']}", headers=admin["headers"]).status_code == 204
    assert http.get(f"/api/orgs/{org_id}", headers=viewer["headers"]).status_code == 404
    assert http.post(f"/api/orgs/{org_id}/leave", headers=owner["headers"]).status_code == 409
    assert http.post(f"/api/orgs/{org_id}/leave", headers=editor["headers"]).status_code == 204
    # Transfer: the admin becomes owner, the old owner admin
    r = http.post(f"/api/orgs/{org_id}/transfer", json={"user_id": admin["user_id"]}, headers=owner["headers"])
    assert r.status_code == 200
    roles = {m["user_id"]: m["role"] for m in http.get(base, headers=owner["headers"]).json()["items"]}
    assert roles == {owner["user_id"]: "admin", admin["user_id"]: "owner"}
    assert http.get(f"/api/orgs/{org_id}", headers=admin["headers"]).json()["owner_id"] == admin["user_id"]
    assert http.post(f"/api/orgs/{org_id}/transfer", json={"user_id": owner["user_id"]},
                     headers=owner["headers"]).status_code == 403
    # A user may belong to several organizations
    second = create_org(http, admin["headers"])
    mine = {o["org_id"]: o["role"] for o in http.get("/api/orgs", headers=admin["headers"]).json()["items"]}
    assert mine == {org_id: "owner", second: "owner"}
    # Every change is in the org's audit log, readable by admins only
    actions = [e["action"] for e in http.get(f"/api/orgs/{org_id}/audit", headers=owner["headers"]).json()["items"]]
    for action in ("org.create", "org.invite", "org.role_change", "org.member_remove", "org.leave", "org.transfer"):
        assert action in actions


def test_team_seats_follow_the_plan(http):
    # Given a free organization (one seat: the owner's)
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    invitee = register_user(http)
    # When the owner invites someone, the plan refuses with the plan that lifts it
    r = http.post(f"/api/orgs/{org_id}/invites", json={"email": invitee["email"], "role": "editor"},
                  headers=owner["headers"])
    assert r.status_code == 429, r.text
    error = r.json()["error"]
    assert error["code"] == "PLAN_002"
    assert (error["details"]["quota"], error["details"]["limit"], error["details"]["upgrade_to"]) == (
        "team_seats", 1, "starter")
    # And on starter (two seats) one member joins, the next one is refused
    set_plan(org_id, "starter")
    add_member(http, owner["headers"], org_id, "editor")
    third = register_user(http)
    r = http.post(f"/api/orgs/{org_id}/invites", json={"email": third["email"], "role": "viewer"},
                  headers=owner["headers"])
    assert r.status_code == 429 and r.json()["error"]["details"]["used"] == 2
    # Removing a member frees the seat
    members = http.get(f"/api/orgs/{org_id}/members", headers=owner["headers"]).json()["items"]
    editor_id = next(m["user_id"] for m in members if m["role"] == "editor")
    assert http.delete(f"/api/orgs/{org_id}/members/{editor_id}", headers=owner["headers"]).status_code in (200, 204)
    r = http.post(f"/api/orgs/{org_id}/invites", json={"email": third["email"], "role": "viewer"},
                  headers=owner["headers"])
    assert r.status_code == 201, r.text


def test_api_keys_need_a_plan_that_has_them(http):
    owner = register_user(http)
    org_id = create_org(http, owner["headers"])
    r = http.post(f"/api/orgs/{org_id}/api-keys", json={"name": "ci", "scopes": [], "role": "viewer"},
                  headers=owner["headers"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "PLAN_001"
    assert r.json()["error"]["details"]["upgrade_to"] == "starter"
    set_plan(org_id, "starter")
    r = http.post(f"/api/orgs/{org_id}/api-keys", json={"name": "ci", "scopes": [], "role": "viewer"},
                  headers=owner["headers"])
    assert r.status_code == 201, r.text
