"""Every HTTP function limits requests per IP (lily.identity.ratelimit.rate_limit_middleware), public webhooks
included (the docs promise a per-IP limit for every route class; issue 25 security 6): read from the function
declarations and the apps they serve, so a new function without it fails here."""

from __future__ import annotations

import pytest
from fastapi import Depends, FastAPI

from lily.core.functions import Http, discover, load_handler_module
from lily.core.http import create_app
from lily.identity.access import Principal, current_user
from lily.identity.ratelimit import rate_limit_middleware
from tests.support.routes import app_routes, is_public

HTTP_SPECS = [s for s in discover() if isinstance(s.trigger, Http)]
# The console (issue 27) holds no table, not even the limiter's counters: each page it serves is a few calls to the
# public API, which limits them. Its routes are all public_route; a sign-in form hammered through it is limited by
# the API's auth routes.
NOT_LIMITED_HERE = {"console"}


def _authenticated(app: FastAPI) -> bool:
    """Some route of the app needs credentials (not public, not authenticated by a signature or an OAuth state)."""
    return any(not is_public(method, path, route) for method, path, route in app_routes(app))


def _rate_limited(app: FastAPI) -> bool:
    return any(m.kwargs.get("dispatch") is rate_limit_middleware for m in app.user_middleware)


@pytest.mark.parametrize("spec", HTTP_SPECS, ids=[s.name for s in HTTP_SPECS])
def test_every_http_function_has_the_rate_limit_middleware(spec):
    app = load_handler_module(spec).app
    if spec.name in NOT_LIMITED_HERE:
        assert not spec.access.tables and not _authenticated(app), f"{spec.name}: holds tables or signs in"
        return
    assert _rate_limited(app), f"{spec.name}: create_app(..., middleware=[rate_limit_middleware])"


def test_the_check_tells_a_function_without_it():
    # Given an app with one route that needs a signed-in user, created without the middleware
    bare = create_app("Lily unlimited")

    @bare.get("/api/things")
    def things(principal: Principal = Depends(current_user)) -> dict:
        return {}

    # Then the check sees an authenticated function that is not limited; with the middleware it passes
    assert _authenticated(bare) and not _rate_limited(bare)
    limited = create_app("Lily limited", middleware=[rate_limit_middleware])
    limited.get("/api/things")(things)
    assert _authenticated(limited) and _rate_limited(limited)


@pytest.mark.parametrize("name", ["stripe_webhook", "content"])
def test_the_public_stripe_webhook_and_the_content_function_are_limited_per_ip(name):
    app = load_handler_module(next(s for s in HTTP_SPECS if s.name == name)).app
    assert _rate_limited(app)
