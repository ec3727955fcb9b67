"""API keys are default-deny, proved on the live route table of every HTTP function (include_router routers too).

Every route that is not public declares what an API key needs: a scope (``org_access(role, scope)``,
``scoped_principal(scope)``) or ``SESSIONS_ONLY`` (``current_user``, ``platform_access``). A key lacking that scope
gets 403 AUTH_003 whatever its role. No body is sent: dependencies run before body validation.
"""

import pytest

from lily.identity.access import SESSIONS_ONLY
from tests.support.identity import create_api_key, create_org, register_user
from tests.support.routes import all_routes, fill, is_public, org_routes, requirement

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _guarded(suite):
    return [(m, p, r) for m, p, r in all_routes(suite) if not is_public(m, p, r)]


@pytest.fixture
def org(http):
    owner = register_user(http)
    return {"owner": owner, "org_id": create_org(http, owner["headers"], "Scoped")}


def _code(response) -> str | None:
    return (response.json().get("error") or {}).get("code")


def _refusals(http, routes, org_id, headers) -> list[str]:
    failures = []
    for method, path, route in routes:
        r = http.request(method, fill(path, org_id), headers=headers)
        if r.status_code != 403 or _code(r) != "AUTH_003":
            failures.append(f"{method} {path} -> {r.status_code} {r.text[:120]}")
    return failures


def test_every_route_declares_what_an_api_key_needs(local_suite):
    # Given the live route table of every HTTP function, including routers added with include_router
    routes = _guarded(local_suite)
    assert any(p.startswith("/api/admin/users") for _, p, _ in routes)
    assert any(p.startswith("/api/orgs/{org_id}/content") for _, p, _ in routes)
    # Then each route declares a scope or SESSIONS_ONLY; an org route with neither fails here
    missing = [f"{m} {p}" for m, p, r in routes if requirement(r, "scope") is None]
    assert missing == [], f"routes that would let any API key through: {missing}"
    undeclared_org = [f"{m} {p}" for m, p, r in org_routes(local_suite) if not requirement(r, "scope")]
    assert undeclared_org == []


def test_a_key_lacking_the_route_scope_is_refused_on_every_route(http, local_suite, org):
    # Given the scopes the routes declare
    routes = _guarded(local_suite)
    by_scope: dict[str, list] = {}
    for method, path, route in routes:
        by_scope.setdefault(requirement(route, "scope"), []).append((method, path, route))
    declared = sorted(s for s in by_scope if s != SESSIONS_ONLY)
    assert len(declared) >= 10
    failures = []
    for scope, scoped_routes in sorted(by_scope.items()):
        # When an admin key holding every other scope calls the routes that need this one
        others = [s for s in declared if s != scope]
        key = create_api_key(http, org["owner"]["headers"], org["org_id"], scopes=others, role="admin")
        # Then each answers 403 AUTH_003
        failures += [f"[{scope}] {f}" for f in _refusals(http, scoped_routes, org["org_id"], key["headers"])]
    assert failures == [], "\n".join(failures)


def test_a_key_holding_the_scope_gets_past_the_scope_check(http, local_suite, org):
    # Given a key holding exactly the scope of each read route (the control for the test above)
    failures = []
    reads = [(m, p, r) for m, p, r in org_routes(local_suite) if m == "GET"]
    for method, path, route in reads:
        scope = requirement(route, "scope")
        if scope == SESSIONS_ONLY:
            continue
        key = create_api_key(http, org["owner"]["headers"], org["org_id"], scopes=[scope], role="admin")
        r = http.request(method, fill(path, org["org_id"]), headers=key["headers"])
        # Then the answer is not a scope refusal (a 404 for the placeholder id, a plan refusal, or 200)
        if r.status_code in (401, 403) and _code(r) in ("AUTH_001", "AUTH_002", "AUTH_003"):
            failures.append(f"{method} {path} -> {r.status_code} {r.text[:120]}")
    assert failures == [], "\n".join(failures)


def test_a_resource_wildcard_scope_grants_read_and_write(http, org):
    key = create_api_key(http, org["owner"]["headers"], org["org_id"], scopes=["members:*"], role="admin")
    r = http.get(f"/api/orgs/{org['org_id']}/members", headers=key["headers"])
    assert r.status_code == 200, r.text
    r = http.get(f"/api/orgs/{org['org_id']}/audit", headers=key["headers"])
    assert r.status_code == 403 and r.json()["error"]["details"]["scope"] == "audit:read"


def test_a_posts_read_key_is_refused_on_every_write_route(http, local_suite, org):
    # Given an admin-role key created with scopes ["posts:read"] only
    key = create_api_key(http, org["owner"]["headers"], org["org_id"], scopes=["posts:read"], role="admin")
    writes = [(m, p, r) for m, p, r in _guarded(local_suite) if m in WRITES and requirement(r, "scope") != "posts:read"]
    assert any(p.endswith("/invites") for _, p, _ in writes)
    assert any(p.endswith("/social/connect/{platform}") for _, p, _ in writes)
    # When it calls every write route (inviting, changing roles, keys, social accounts, billing, admin...)
    failures = _refusals(http, writes, org["org_id"], key["headers"])
    # Then each refuses it
    assert failures == [], "\n".join(failures)
    # And it still reads posts
    assert http.get(f"/api/orgs/{org['org_id']}/posts", headers=key["headers"]).status_code == 200


def test_a_key_cannot_list_or_revoke_keys_or_read_the_audit_log_without_scope(http, org):
    key = create_api_key(http, org["owner"]["headers"], org["org_id"], scopes=["posts:read"], role="admin")
    base = f"/api/orgs/{org['org_id']}"
    for method, path in (("GET", "/api-keys"), ("DELETE", f"/api-keys/{key['key_id']}"), ("GET", "/audit"),
                         ("GET", "/members")):
        r = http.request(method, base + path, headers=key["headers"])
        assert r.status_code == 403, (method, path, r.text)
