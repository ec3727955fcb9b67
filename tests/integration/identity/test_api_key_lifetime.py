"""API keys and invitations die with their creator's rights, over HTTP.

Keys expire (90 days by default, at most a year) and are revoked when their creator is removed, leaves, is
demoted below the key's role or suspended, and when the plan drops API keys. A pending invitation is refused
once its sender can no longer invite.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from lily.core import clock
from tests.support.identity import (
    add_member,
    auth_headers,
    create_api_key,
    create_org,
    latest_link,
    link_token,
    register_user,
)


@pytest.fixture
def org(http):
    owner = register_user(http)
    return {"owner": owner, "id": create_org(http, owner["headers"], "Keys")}


def _works(http, org_id: str, key: dict) -> int:
    return http.get(f"/api/orgs/{org_id}/members", headers=key["headers"]).status_code


def _listed(http, org) -> dict:
    r = http.get(f"/api/orgs/{org['id']}/api-keys", headers=org["owner"]["headers"])
    return {k["key_id"]: k for k in r.json()["items"]}


def test_keys_expire_after_90_days_by_default_and_live_at_most_a_year(http, org):
    key = create_api_key(http, org["owner"]["headers"], org["id"], scopes=["members:read"])
    lifetime = datetime.fromisoformat(key["expires_at"]) - datetime.fromisoformat(key["created_at"])
    assert lifetime.days == 90
    r = http.post(f"/api/orgs/{org['id']}/api-keys", headers=org["owner"]["headers"],
                  json={"name": "long", "scopes": ["members:read"], "expires_in_days": 366})
    assert r.status_code == 422 and r.json()["error"]["details"]["max"] == 365
    yearly = http.post(f"/api/orgs/{org['id']}/api-keys", headers=org["owner"]["headers"],
                       json={"name": "yearly", "scopes": ["members:read"], "expires_in_days": 365}).json()
    yearly["headers"] = auth_headers(yearly["key"])
    assert _works(http, org["id"], key) == 200
    clock.advance(90 * 86400 + 1)
    r = http.get(f"/api/orgs/{org['id']}/members", headers=key["headers"])
    assert r.status_code == 401 and r.json()["error"]["details"]["reason"] == "api key expired"
    assert _works(http, org["id"], yearly) == 200


def test_keys_die_when_their_creator_is_removed_or_leaves(http, org):
    admin = add_member(http, org["owner"]["headers"], org["id"], "admin")
    other = add_member(http, org["owner"]["headers"], org["id"], "admin")
    removed_key = create_api_key(http, admin["headers"], org["id"], scopes=["members:read"], role="admin")
    left_key = create_api_key(http, other["headers"], org["id"], scopes=["members:read"], role="viewer")
    owners_key = create_api_key(http, org["owner"]["headers"], org["id"], scopes=["members:read"])
    assert http.delete(f"/api/orgs/{org['id']}/members/{admin['user_id']}",
                       headers=org["owner"]["headers"]).status_code == 204
    assert http.post(f"/api/orgs/{org['id']}/leave", headers=other["headers"]).status_code == 204
    assert _works(http, org["id"], removed_key) == 401
    assert _works(http, org["id"], left_key) == 401
    assert _works(http, org["id"], owners_key) == 200
    listed = _listed(http, org)
    assert listed[removed_key["key_id"]]["revoked_reason"] == "creator_removed"
    assert listed[left_key["key_id"]]["revoked_reason"] == "creator_left"


def test_a_demotion_revokes_only_the_keys_above_the_new_role(http, org):
    admin = add_member(http, org["owner"]["headers"], org["id"], "admin")
    admin_key = create_api_key(http, admin["headers"], org["id"], scopes=["members:read"], role="admin")
    editor_key = create_api_key(http, admin["headers"], org["id"], scopes=["members:read"], role="editor")
    r = http.patch(f"/api/orgs/{org['id']}/members/{admin['user_id']}", json={"role": "editor"},
                   headers=org["owner"]["headers"])
    assert r.status_code == 200, r.text
    assert _works(http, org["id"], admin_key) == 401
    assert _works(http, org["id"], editor_key) == 200
    assert _listed(http, org)[admin_key["key_id"]]["revoked_reason"] == "creator_demoted"


def test_suspending_the_creator_revokes_their_keys(http, org):
    from lily.identity.access import PlatformRole, Principal
    from lily.identity.user_admin import admin_update_user

    admin = add_member(http, org["owner"]["headers"], org["id"], "admin")
    key = create_api_key(http, admin["headers"], org["id"], scopes=["members:read"], role="admin")
    operator = Principal(kind="user", user_id="usr_operator", platform_role=PlatformRole.super_admin)
    admin_update_user(operator, admin["user_id"], status="suspended")
    assert _works(http, org["id"], key) == 401
    assert _listed(http, org)[key["key_id"]]["revoked_reason"] == "creator_suspended"


def test_a_plan_without_api_keys_revokes_every_key(http, org):
    from lily import composition
    from lily.billing.plans import get_plan
    from lily.billing.subscription_sync import notify_plan_change

    key = create_api_key(http, org["owner"]["headers"], org["id"], scopes=["members:read"])  # on starter
    assert _works(http, org["id"], key) == 200
    assert notify_plan_change(composition.billing_ports(), org["id"], get_plan("starter"), get_plan("free")) == 0
    assert _works(http, org["id"], key) == 401
    assert _listed(http, org)[key["key_id"]]["revoked_reason"] == "plan:free"


def test_an_invitation_dies_when_its_sender_loses_the_right_to_invite(http, org):
    from tests.support.billing import ensure_plan_allows

    admin = add_member(http, org["owner"]["headers"], org["id"], "admin")
    ensure_plan_allows(org["id"], "team_seats")
    guest = register_user(http)
    r = http.post(f"/api/orgs/{org['id']}/invites", json={"email": guest["email"], "role": "viewer"},
                  headers=admin["headers"])
    assert r.status_code == 201, r.text
    token = link_token(latest_link(http, guest["email"], "/api/invites/accept"))
    # When the sender is demoted below admin before the invitation is accepted
    r = http.patch(f"/api/orgs/{org['id']}/members/{admin['user_id']}", json={"role": "editor"},
                   headers=org["owner"]["headers"])
    assert r.status_code == 200
    # Then accepting it is refused, and stays refused after the sender is promoted again
    r = http.post("/api/invites/accept", json={"token": token}, headers=guest["headers"])
    assert r.status_code == 403 and "revoked" in r.json()["error"]["message"], r.text
    http.patch(f"/api/orgs/{org['id']}/members/{admin['user_id']}", json={"role": "admin"},
               headers=org["owner"]["headers"])
    r = http.post("/api/invites/accept", json={"token": token}, headers=guest["headers"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_001"  # a used token
    members = http.get(f"/api/orgs/{org['id']}/members", headers=org["owner"]["headers"]).json()["items"]
    assert guest["user_id"] not in {m["user_id"] for m in members}


def test_expired_and_revoked_keys_are_purged_by_ttl_and_treated_as_absent_until_then(http, org):
    from lily.identity.models import ApiKey

    expiring = create_api_key(http, org["owner"]["headers"], org["id"], scopes=["members:read"])
    revoked = create_api_key(http, org["owner"]["headers"], org["id"], scopes=["members:read"])
    assert http.delete(f"/api/orgs/{org['id']}/api-keys/{revoked['key_id']}",
                       headers=org["owner"]["headers"]).status_code == 200
    # the table's TTL attribute is set: DynamoDB deletes the keys 30 days after expiry or revocation
    stored = {k: ApiKey.get(k) for k in (expiring["key_id"], revoked["key_id"])}
    def days(later, earlier) -> int:  # a TTL attribute keeps whole seconds
        return round((later - earlier).total_seconds() / 86400)

    assert days(stored[expiring["key_id"]].purge_at, stored[expiring["key_id"]].expires_at) == 30
    assert days(stored[revoked["key_id"]].purge_at, stored[revoked["key_id"]].revoked_at) == 30
    clock.advance(31 * 86400)  # revoked 31 days ago: gone; the other one still listed (expires at 90 days)
    _sign_in_again(http, org)
    listed = _listed(http, org)
    assert revoked["key_id"] not in listed and expiring["key_id"] in listed
    r = http.delete(f"/api/orgs/{org['id']}/api-keys/{revoked['key_id']}", headers=org["owner"]["headers"])
    assert r.status_code == 404 and r.json()["error"]["code"] == "VALIDATION_004"
    clock.advance(90 * 86400)  # expired 31 days ago: gone too, though DynamoDB has not deleted it (moto never does)
    _sign_in_again(http, org)
    assert expiring["key_id"] not in _listed(http, org)
    assert ApiKey.get(expiring["key_id"]) is not None


def _sign_in_again(http, org) -> None:
    from tests.support.identity import login

    org["owner"]["headers"] = auth_headers(login(http, org["owner"]["email"], org["owner"]["password"])["access_token"])
