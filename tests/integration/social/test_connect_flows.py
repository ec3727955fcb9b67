"""Each platform end to end against its sandbox: connect, list, inspect, refresh, disconnect (revoke)."""

from __future__ import annotations

import httpx
import pytest

from lily.social import tokens
from lily.social.models import SocialConnection
from tests.helpers import drain
from tests.integration.social.conftest import connect, set_plan
from tests.support.identity import add_member, create_org, register_user

EXPECTED = {
    "x": ["user"],
    "facebook": ["page", "page"],
    "instagram": ["instagram_business", "instagram_business"],
    "linkedin": ["member", "organization"],
}


@pytest.fixture
def owner(http, sandboxes):
    user = register_user(http)
    org_id = create_org(http, user["headers"])
    set_plan(org_id, "pro")
    return {**user, "org_id": org_id}


@pytest.mark.parametrize("platform", ["x", "facebook", "instagram", "linkedin"])
def test_connect_list_refresh_disconnect(platform, http, owner, local_suite, sandboxes):
    org_id, headers = owner["org_id"], owner["headers"]
    # Given an admin who approves Lily at the platform
    result = connect(http, headers, org_id, platform)
    # Then every offered account is connected
    assert result["status"] == "connected"
    assert sorted(c["account_kind"] for c in result["connections"]) == sorted(EXPECTED[platform])
    # And a viewer lists and inspects them (platform, name, avatar, scopes, status, last used)
    viewer = add_member(http, headers, org_id, "viewer")
    listed = http.get(f"/api/orgs/{org_id}/social/connections", headers=viewer["headers"]).json()
    assert {c["connection_id"] for c in listed} == {c["connection_id"] for c in result["connections"]}
    one = http.get(
        f"/api/orgs/{org_id}/social/connections/{listed[0]['connection_id']}", headers=viewer["headers"]
    ).json()
    assert one["platform"] == platform and one["status"] == "active" and one["account_name"]
    assert one["scopes"] and "avatar_url" in one and "last_used_at" in one
    assert "access_envelope" not in one and "token" not in str(one).lower()
    # When the publisher asks for credentials after the access token has aged
    conn = SocialConnection.get(org_id, listed[0]["connection_id"])
    before = tokens.open_tokens(conn)
    if before.refresh_token:
        refreshed = tokens.refresh_connection(conn)
        assert refreshed.access_token != before.access_token
        creds = tokens.credentials(org_id, conn.connection_id)
        assert creds.access_token == refreshed.access_token
    # And a viewer may not disconnect
    cid = listed[0]["connection_id"]
    assert http.delete(f"/api/orgs/{org_id}/social/connections/{cid}", headers=viewer["headers"]).status_code == 403
    # When the admin disconnects every connection
    for c in listed:
        assert (
            http.delete(f"/api/orgs/{org_id}/social/connections/{c['connection_id']}", headers=headers).status_code
            == 204
        )
    drain(local_suite)
    # Then nothing is listed, and the grant is revoked where the platform allows
    assert http.get(f"/api/orgs/{org_id}/social/connections", headers=headers).json() == []
    sb = sandboxes["meta" if platform in ("facebook", "instagram") else platform]
    if platform in ("x", "linkedin"):
        assert all(not g.live() for g in sb.state.access.values() if g.user == "alice")


def test_reconnect_keeps_refresh_token_unless_a_new_one_is_issued(http, owner, sandboxes):
    org_id, headers = owner["org_id"], owner["headers"]
    # Given a LinkedIn connection (LinkedIn sandbox: no refresh token re-sent on a second grant)
    first = connect(http, headers, org_id, "linkedin", choose=None)
    sel = first["selection_id"]
    member = next(a["account_id"] for a in first["accounts"] if a["kind"] == "member")
    body = http.post(
        f"/api/orgs/{org_id}/social/selections/{sel}", json={"account_ids": [member]}, headers=headers
    ).json()
    cid = body["connections"][0]["connection_id"]
    original = tokens.open_tokens(SocialConnection.get(org_id, cid))
    assert original.refresh_token
    # When the platform stops issuing refresh tokens and the user reconnects the same account
    sandboxes["linkedin"].state.config["issue_refresh"] = False
    again = connect(http, headers, org_id, "linkedin", choose=[member])
    # Then it is the same connection, with a new access token and the stored refresh token
    assert again["connections"][0]["connection_id"] == cid
    after = tokens.open_tokens(SocialConnection.get(org_id, cid))
    assert after.access_token != original.access_token
    assert after.refresh_token == original.refresh_token
    # And when the platform does issue one, the new one replaces it
    sandboxes["linkedin"].state.config["issue_refresh"] = True
    connect(http, headers, org_id, "linkedin", choose=[member])
    assert tokens.open_tokens(SocialConnection.get(org_id, cid)).refresh_token != original.refresh_token
    # And a reconnect never consumed another profile
    from lily.billing import entitlements

    used = {u.quota: u.used for u in entitlements.usage(org_id)}
    assert used["social_profiles"] == 1


def test_authorize_page_is_a_page_a_person_can_approve(http, owner, sandboxes):
    r = http.post(f"/api/orgs/{owner['org_id']}/social/connect/x", headers=owner["headers"])
    page = httpx.get(r.json()["authorize_url"], timeout=5)
    assert page.status_code == 200 and "Approve" in page.text and "<form" in page.text
