"""A user owns a bounded number of organizations (an operator raises it per user)."""

from functions.admin_cli.__main__ import main as admin_cli
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


def test_concurrent_creations_cannot_pass_the_limit_together(http):
    """The limit is checked in the transaction that creates the org (a counter on the user, written on the value
    read), not by a count read before it: of several creations racing for the last place, one wins."""
    from concurrent.futures import ThreadPoolExecutor

    from lily import composition
    from lily.core.errors import LilyError
    from lily.identity import orgs
    from lily.identity.access import Principal
    from lily.identity.models import Membership

    user = register_user(http)
    for _ in range(4):
        create_org(http, user["headers"])
    principal = Principal(kind="user", user_id=user["user_id"], email=user["email"])

    def attempt(i: int) -> str:
        try:
            orgs.create_org(composition.identity_ports(), principal, f"Race {i}")
            return "created"
        except LilyError as exc:
            return exc.code.value if hasattr(exc.code, "value") else str(exc.code)

    for _ in range(3):  # several rounds: a check-then-act gap shows up in some of them
        with ThreadPoolExecutor(max_workers=6) as pool:
            outcomes = list(pool.map(attempt, range(6)))
        owned = sum(1 for m in Membership.by_user.query(user["user_id"]) if m.role == "owner")
        assert owned == 5, outcomes
        assert outcomes.count("created") <= 1, outcomes
    assert _create(http, user["headers"]).status_code == 409
