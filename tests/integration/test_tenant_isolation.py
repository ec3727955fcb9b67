"""Tenant isolation, generated from the live route table of every HTTP function.

A route added later by anyone is covered without being listed here:
- every route under /api/orgs/{org_id} must depend on ``org_access``; a member of organization B gets
  403/404 on organization A, and members below the route's ``min_role`` get 403;
- every route under /api/admin must depend on ``platform_access``; a user with no platform role gets 403;
- every route not in PUBLIC (and not declared with ``Depends(public_route)``) answers 401 without credentials.
No body is sent: dependencies run before body validation.
"""

import re

import pytest
from fastapi.routing import APIRoute

from lily.identity.access import OrgRole
from tests.support.identity import add_member, create_api_key, create_org, register_user

# Routes that answer without credentials (method, path). Adding a public route means adding it here.
PUBLIC = {
    ("GET", "/health"), ("GET", "/health/deep"),
    ("POST", "/api/auth/register"), ("POST", "/api/auth/verify-email"), ("GET", "/api/auth/verify-email"),
    ("POST", "/api/auth/verify-email/resend"), ("POST", "/api/auth/password-reset/request"),
    ("GET", "/api/auth/password-reset/confirm"), ("POST", "/api/auth/password-reset/confirm"),
    ("POST", "/api/auth/login"), ("POST", "/api/auth/login/2fa"),
    # Cookie-authenticated (refresh cookie + CSRF double submit), no bearer token:
    ("POST", "/api/auth/refresh"), ("POST", "/api/auth/logout"),
    # Other capabilities' public routes (catalogue, health, OAuth return, webhooks), as their owners declared them:
    ("GET", "/api/plans"), ("GET", "/api/plans/capabilities/{feature}"), ("GET", "/api/billing/health"),
    ("GET", "/api/social/platforms"), ("GET", "/api/social/callback/{platform}"), ("POST", "/webhooks/stripe"),
}
# Public routes of other capabilities are authenticated by something else (a signature, an OAuth state).
PUBLIC_PATTERNS = [re.compile(p) for p in (r"^/webhooks/", r"^/api/[a-z_]+/webhooks?(/|$)")]
PLACEHOLDER = "placeholder_0000000000000000"
ORG_PREFIX = "/api/orgs/{org_id}"


def _all_routes(suite) -> list[tuple[str, str, APIRoute]]:
    apps = {id(r.app): r.app for r in suite.gateway.routes}
    out = []
    for app in apps.values():
        for route in app.routes:
            if isinstance(route, APIRoute):
                for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                    out.append((method, route.path, route))
    return sorted(out, key=lambda t: (t[1], t[0]))


def _calls(dependant) -> list:
    found = []
    for dep in dependant.dependencies:
        found.append(dep.call)
        found.extend(_calls(dep))
    return found


def _requirement(route: APIRoute, attr: str):
    for call in _calls(route.dependant):
        if hasattr(call, attr):
            return getattr(call, attr)
    return None


def _is_public(method: str, path: str, route: APIRoute | None = None) -> bool:
    if route is not None and any(getattr(c, "public", False) for c in _calls(route.dependant)):
        return True  # declared with Depends(lily.identity.access.public_route)
    return (method, path) in PUBLIC or any(p.search(path) for p in PUBLIC_PATTERNS)


def _fill(path: str, org_id: str = PLACEHOLDER) -> str:
    path = path.replace("{org_id}", org_id)
    return re.sub(r"\{[^}]+\}", PLACEHOLDER, path)


def _org_routes(suite):
    return [(m, p, r) for m, p, r in _all_routes(suite) if p == ORG_PREFIX or p.startswith(ORG_PREFIX + "/")]


def test_route_table_is_not_empty(local_suite):
    paths = {p for _, p, _ in _all_routes(local_suite)}
    assert "/api/orgs/{org_id}/members" in paths and "/api/auth/me" in paths


def test_every_org_route_declares_org_access(local_suite):
    missing = [f"{m} {p}" for m, p, r in _org_routes(local_suite) if _requirement(r, "min_role") is None]
    assert missing == [], f"routes under {ORG_PREFIX} without Depends(org_access(...)): {missing}"


def test_every_admin_route_declares_platform_access(local_suite):
    missing = [f"{m} {p}" for m, p, r in _all_routes(local_suite)
               if p.startswith("/api/admin") and _requirement(r, "min_platform_role") is None]
    assert missing == [], f"/api/admin routes without platform_access: {missing}"


def test_every_non_public_route_answers_401_without_credentials(http, local_suite):
    failures = []
    for method, path, route in _all_routes(local_suite):
        if _is_public(method, path, route):
            continue
        r = http.request(method, _fill(path, "org_00000000000000000000000000"))
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
        r = http.request(method, _fill(path, org_a), headers=headers)
        if r.status_code not in allowed:
            failures.append(f"{who}: {method} {path} -> {r.status_code} (want {sorted(allowed)})")

    routes = _org_routes(local_suite)
    assert routes
    for method, path, route in routes:
        min_role = _requirement(route, "min_role")
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
    for method, path, _ in _all_routes(local_suite):
        if path.startswith("/api/admin"):
            r = http.request(method, _fill(path), headers=tenants["owner_b"]["headers"])
            if r.status_code != 403:
                failures.append(f"{method} {path} -> {r.status_code}")
    assert failures == []
