"""Tenant isolation, generated from the live route table of every HTTP function.

A route added later by anyone is covered without being listed here:
- every route under /api/orgs/{org_id} must depend on ``org_access``; a member of organization B gets
  403/404 on organization A, and members below the route's ``min_role`` get 403;
- every route under /api/admin must depend on ``platform_access``; a user with no platform role gets 403;
- routers added with ``include_router`` are walked with their router's dependencies (tests/support/routes.py;
  ``test_routers_added_with_include_router_join_the_matrix_with_their_routers_dependencies`` proves it on an app
  built with included routers, since FastAPI keeps each one as a single ``_IncludedRouter`` entry of app.routes);
- every route not in PUBLIC (and not declared with ``Depends(public_route)``) answers 401 without credentials.
No body is sent: dependencies run before body validation.
"""

import pytest
from fastapi import APIRouter, Depends, FastAPI

from lily.identity.access import OrgRole, PlatformRole, org_access, platform_access
from tests.support.identity import add_member, create_api_key, create_org, register_user
from tests.support.routes import ORG_PREFIX, all_routes, app_routes, fill, is_public, org_routes, requirement


def test_route_table_is_not_empty(local_suite):
    paths = {p for _, p, _ in all_routes(local_suite)}
    assert "/api/orgs/{org_id}/members" in paths and "/api/auth/me" in paths
    # Routers added with include_router are in the table (the admin function's three routers)
    assert {"/api/admin/users", "/api/admin/settings"} <= paths


def test_routers_added_with_include_router_join_the_matrix_with_their_routers_dependencies():
    # Given an app whose admin routes come from a router carrying platform_access, and org routes from a
    # prefixed router (FastAPI keeps each included router as one entry of app.routes)
    admin = APIRouter(prefix="/api/admin/probe", dependencies=[Depends(platform_access(PlatformRole.admin))])
    admin.add_api_route("/things", lambda: [], methods=["GET"])
    org = APIRouter(prefix=ORG_PREFIX + "/probe")
    org.add_api_route("/{thing_id}", lambda access=Depends(org_access(OrgRole.editor, "posts:write")): None,
                      methods=["DELETE"])
    app = FastAPI()
    app.include_router(admin)
    app.include_router(org)
    # When the matrix walks it, every route is there with the access its router declares
    routes = {(m, p): r for m, p, r in app_routes(app)}
    assert set(routes) >= {("GET", "/api/admin/probe/things"), ("DELETE", ORG_PREFIX + "/probe/{thing_id}")}
    assert requirement(routes[("GET", "/api/admin/probe/things")], "min_platform_role") == PlatformRole.admin
    assert requirement(routes[("DELETE", ORG_PREFIX + "/probe/{thing_id}")], "min_role") == OrgRole.editor


def test_every_org_route_declares_org_access(local_suite):
    missing = [f"{m} {p}" for m, p, r in org_routes(local_suite) if requirement(r, "min_role") is None]
    assert missing == [], f"routes under {ORG_PREFIX} without Depends(org_access(...)): {missing}"


def test_every_admin_route_declares_platform_access(local_suite):
    missing = [f"{m} {p}" for m, p, r in all_routes(local_suite)
               if p.startswith("/api/admin") and requirement(r, "min_platform_role") is None]
    assert missing == [], f"/api/admin routes without platform_access: {missing}"


def test_every_non_public_route_answers_401_without_credentials(http, local_suite):
    failures = []
    for method, path, route in all_routes(local_suite):
        if is_public(method, path, route):
            continue
        r = http.request(method, fill(path, "org_00000000000000000000000000"))
        if r.status_code != 401:
            failures.append(f"{method} {path} -> {r.status_code}")
    assert failures == []


@pytest.fixture
def tenants(http):
    owner_a = register_user(http)
    org_a = create_org(http, owner_a["headers"], "Org A")
    owner_b = register_user(http)
    org_b = create_org(http, owner_b["headers"], "Org B")
    members = {role: add_member(http, owner_a["headers"], org_a, role) for role in ("viewer", "editor", "admin")}
    key_b = create_api_key(http, owner_b["headers"], org_b, scopes=["members:read"], role="admin")
    return {"org_a": org_a, "org_b": org_b, "owner_a": owner_a, "owner_b": owner_b, "members": members,
            "key_b": key_b}


def test_isolation_matrix(http, local_suite, tenants):
    org_a = tenants["org_a"]
    failures = []

    def expect(method, path, headers, allowed, who):
        r = http.request(method, fill(path, org_a), headers=headers)
        if r.status_code not in allowed:
            failures.append(f"{who}: {method} {path} -> {r.status_code} (want {sorted(allowed)})")

    routes = org_routes(local_suite)
    assert routes
    for method, path, route in routes:
        min_role = requirement(route, "min_role")
        if min_role is None:
            failures.append(f"{method} {path}: no org_access")
            continue
        # Another tenant never gets in: not its member, not its API key
        expect(method, path, tenants["owner_b"]["headers"], {403, 404}, "owner of B")
        expect(method, path, tenants["key_b"]["headers"], {403, 404}, "API key of B")
        # Members below the route's role are refused
        for role in (OrgRole.viewer, OrgRole.editor, OrgRole.admin):
            if role < min_role:
                expect(method, path, tenants["members"][role.value]["headers"], {403}, role.value)
    assert failures == [], "\n".join(failures)


def test_admin_routes_refuse_users_without_platform_role(http, local_suite, tenants):
    failures = []
    for method, path, _ in all_routes(local_suite):
        if path.startswith("/api/admin"):
            r = http.request(method, fill(path), headers=tenants["owner_b"]["headers"])
            if r.status_code != 403:
                failures.append(f"{method} {path} -> {r.status_code}")
    assert failures == []
