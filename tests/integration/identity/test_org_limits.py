"""A user owns a bounded number of organizations (an operator raises it per user)."""

from lily.admin.__main__ import main as admin_cli
from tests.support.identity import create_org, invite_and_accept, register_user


def _create(http, headers) -> object:
    return http.post("/api/orgs", json={"name": "Another org"}, headers=headers)


def test_a_user_owns_at_most_five_organizations_unless_an_operator_raises_it(http):
    user = register_user(http)
    for _ in range(5):
        create_org(http, user["headers"])
    r = _create(http, user["headers"])
    assert r.status_code == 409 and r.json()["error"]["details"] == {"limit": 5, "owned": 5}
    # Receiving ownership counts too: a transfer to a user at the limit is refused
    other = register_user(http)
    their_org = create_org(http, other["headers"])
    invite_and_accept(http, other["headers"], their_org, user, "viewer")
    r = http.post(f"/api/orgs/{their_org}/transfer", json={"user_id": user["user_id"]}, headers=other["headers"])
    assert r.status_code == 409 and r.json()["error"]["details"]["limit"] == 5
    # An operator lets this account own six
    assert admin_cli(["set-org-limit", user["email"], "6"]) == 0
    assert _create(http, user["headers"]).status_code == 201
    assert _create(http, user["headers"]).status_code == 409
    assert admin_cli(["set-org-limit", "nobody@example.com", "9"]) == 1
