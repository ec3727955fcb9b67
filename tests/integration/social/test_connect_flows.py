"""Each platform end to end against its sandbox: connect, list, inspect, refresh, disconnect (revoke)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from lily.core.errors import LilyError
from lily.social import tokens
from lily.social.models import SocialConnection
from tests.helpers import drain
from tests.integration.social.conftest import approve, connect, set_plan
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
    listed = http.get(f"/api/orgs/{org_id}/social/connections", headers=viewer["headers"]).json()["items"]
    assert {c["connection_id"] for c in listed} == {c["connection_id"] for c in result["connections"]}
    one = http.get(
        f"/api/orgs/{org_id}/social/connections/{listed[0]['connection_id']}", headers=viewer["headers"]
    ).json()
    assert one["platform"] == platform and one["status"] == "active" and one["account_name"]
    assert one["scopes"] and "avatar_url" in one and "last_used_at" in one
    assert "access_envelope" not in one and "token" not in str(one).lower()
    # When the publisher asks for credentials after the access token has aged
    sb = sandboxes["meta" if platform in ("facebook", "instagram") else platform]
    conn = SocialConnection.get(org_id, listed[0]["connection_id"])
    before = tokens.open_tokens(conn)
    version = conn.token_version
    calls = len(sb.state.calls)
    refreshed = tokens.refresh_connection(conn)
    stored = SocialConnection.get(org_id, conn.connection_id)
    assert stored.token_version == version + 1 and stored.last_refreshed_at is not None
    creds = tokens.credentials(org_id, conn.connection_id)
    assert creds.access_token == refreshed.access_token
    if platform in ("x", "linkedin"):
        # Then the platform issued a new access token, which it accepts
        assert before.refresh_token and refreshed.access_token != before.access_token
        assert sb.state.grant_for(refreshed.access_token) is not None
        if platform == "x":  # X rotates refresh tokens: the old one is spent, the new one is stored
            assert sb.state.refresh[before.refresh_token].revoked
            assert refreshed.refresh_token != before.refresh_token
            assert tokens.open_tokens(stored).refresh_token == refreshed.refresh_token
    else:
        # Then the Page token (it never expires) is kept as it is, with no call to Meta, and Meta accepts it
        assert before.refresh_token is None and before.expires_at is None
        assert refreshed.access_token == before.access_token and len(sb.state.calls) == calls
        assert sb.state.grant_for(refreshed.access_token) is not None
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
    # Then nothing is listed, and Lily holds no token any more
    assert http.get(f"/api/orgs/{org_id}/social/connections", headers=headers).json()["items"] == []
    for c in listed:
        with pytest.raises(SocialConnection.DoesNotExist):
            SocialConnection.get(org_id, c["connection_id"])
        with pytest.raises(LilyError) as err:
            tokens.credentials(org_id, c["connection_id"])
        assert err.value.code.value == "VALIDATION_004"
    alice = [g for g in sb.state.access.values() if g.user == "alice"]
    assert alice
    if platform in ("x", "linkedin"):
        # And the grant is revoked at the platform
        assert all(not g.live() for g in alice)
    else:
        # Meta has no per-Page revoke (it would de-authorise every Page of the user): Lily only forgets
        assert not any(method == "DELETE" for method, _ in sb.state.calls)
        assert sb.state.grant_for(creds.access_token) is not None


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


@pytest.mark.parametrize("platform", ["x", "facebook", "linkedin"])
def test_authorize_url_sends_the_person_to_the_platform_with_lilys_client_and_callback(
        platform, http, owner, sandboxes):
    from lily.social.settings import social_settings

    s = social_settings()
    # When an admin starts a connection twice
    starts = [http.post(f"/api/orgs/{owner['org_id']}/social/connect/{platform}", headers=owner["headers"])
              for _ in range(2)]
    assert [r.status_code for r in starts] == [201, 201]
    urls = [urlparse(r.json()["authorize_url"]) for r in starts]
    queries = [{k: v[0] for k, v in parse_qs(u.query).items()} for u in urls]
    q = queries[0]
    # Then each URL is the platform's authorize page for Lily's client, back to Lily's registered callback
    sb = sandboxes["meta" if platform == "facebook" else platform]
    assert f"{urls[0].scheme}://{urls[0].netloc}" == sb.base_url.rstrip("/")
    client_id = {"x": s.x_client_id, "facebook": s.meta_app_id, "linkedin": s.linkedin_client_id}[platform]
    assert q["client_id"] == client_id and q["redirect_uri"] == s.callback_url(platform)
    assert q["response_type"] == "code" and q["scope"]
    # With a fresh, unguessable state each time, and PKCE S256 wherever the platform accepts it (X, Facebook Login;
    # LinkedIn only for native apps on loopback redirects, so never for Lily's web callback)
    assert queries[0]["state"] != queries[1]["state"] and len(q["state"]) >= 32
    if platform in ("x", "facebook"):
        assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
        assert queries[0]["code_challenge"] != queries[1]["code_challenge"]
    else:
        assert "code_challenge" not in q and "code_challenge_method" not in q
    # And the platform accepts it: approving sends the person back to that callback with the same state
    back = approve(starts[0].json()["authorize_url"])
    assert back["location"].startswith(s.callback_url(platform)) and back["state"] == q["state"] and back["code"]


def test_a_browser_returning_from_the_platform_is_sent_back_to_the_console(http, owner, sandboxes):
    org_id, headers = owner["org_id"], owner["headers"]
    # Given a flow started in this browser and approved at the platform
    r = http.post(f"/api/orgs/{org_id}/social/connect/x", headers=headers)
    redirect = approve(r.json()["authorize_url"])
    # When the browser follows the platform's redirect (a page navigation)
    page = {"Accept": "text/html,application/xhtml+xml", "Sec-Fetch-Mode": "navigate"}
    r = http.get(f"{redirect['path']}?{redirect['query']}", headers=page, follow_redirects=False)
    # Then it is connected and the browser goes to the console's connections page, not to JSON
    assert r.status_code == 303 and r.headers["location"] == "/app/connections?connected=x", r.text
    listed = http.get(f"/api/orgs/{org_id}/social/connections", headers=headers).json()["items"]
    assert [c["platform"] for c in listed] == ["x"]
    # And a failed return (the state used again) goes there too, with the error's code and nothing connected twice
    r = http.get(f"{redirect['path']}?{redirect['query']}", headers=page, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/app/connections?error=SOCIAL_002")
    # And an API client (JSON) still gets the JSON error
    r = http.get(f"{redirect['path']}?{redirect['query']}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "SOCIAL_002"
