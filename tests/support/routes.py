"""The live route table of every HTTP function the local gateway serves, with each route's declared access.

Routes added with ``include_router`` (the admin function's routers) are listed with the dependencies of their
router, exactly as FastAPI runs them: FastAPI keeps an included router as one ``_IncludedRouter`` entry of
``app.routes``, so walking ``app.routes`` alone would miss every route of ``/api/admin``.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

PLACEHOLDER = "placeholder_0000000000000000"
ORG_PREFIX = "/api/orgs/{org_id}"

# Routes that answer without credentials (method, path). Adding a public route means adding it here.
PUBLIC = {
    ("GET", "/health"),
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


def is_public(method: str, path: str, route: RouteContext | None = None) -> bool:
    if route is not None and any(getattr(c, "public", False) for c in calls(route.dependant)):
        return True  # declared with Depends(lily.identity.access.public_route)
    return (method, path) in PUBLIC or any(p.search(path) for p in PUBLIC_PATTERNS)


def function_apps(suite) -> dict[str, FastAPI]:
    """Every HTTP function's FastAPI app, by function name."""
    return {r.function: r.app for r in suite.gateway.routes}


def app_routes(app: FastAPI) -> list[tuple[str, str, RouteContext]]:
    """(method, path, route) of every API route of one app, included routers' routes with their router's
    dependencies (``.dependant``)."""
    out = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                out.append((method, route.path, route))
    return out


def all_routes(suite) -> list[tuple[str, str, RouteContext]]:
    """(method, path, route) of every API route of every HTTP function."""
    out = [r for app in function_apps(suite).values() for r in app_routes(app)]
    return sorted(out, key=lambda t: (t[1], t[0]))


def org_routes(suite) -> list[tuple[str, str, RouteContext]]:
    return [(m, p, r) for m, p, r in all_routes(suite) if p == ORG_PREFIX or p.startswith(ORG_PREFIX + "/")]


def calls(dependant) -> list:
    found = []
    for dep in dependant.dependencies:
        found.append(dep.call)
        found.extend(calls(dep))
    return found


def requirement(route: RouteContext, attr: str):
    """The first ``attr`` (``min_role``, ``scope``, ``min_platform_role``) a dependency of the route declares."""
    for call in calls(route.dependant):
        if hasattr(call, attr):
            return getattr(call, attr)
    return None


def fill(path: str, org_id: str = PLACEHOLDER) -> str:
    path = path.replace("{org_id}", org_id)
    return re.sub(r"\{[^}]+\}", PLACEHOLDER, path)
