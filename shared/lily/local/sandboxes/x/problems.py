"""How the X API refuses: RFC 7807 problem bodies, invalid query parameters, missing grants or scopes."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from lily.local.sandboxes.kit import Grant, PlatformState
from lily.local.sandboxes.oauth import bearer

INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra) -> JSONResponse:
    return JSONResponse(
        {"title": title, "detail": detail, "type": type_, "status": status, **extra}, status_code=status
    )


def invalid_parameter(name: str, values: list[str], allowed: frozenset[str] | None = None) -> JSONResponse:
    shown = ",".join(values)
    message = (
        f"The `{name}` query parameter value [{shown}] is not one of [{','.join(sorted(allowed))}]"
        if allowed
        else f"The `{name}` query parameter value [{shown}] is not valid"
    )
    return problem(
        400,
        "Invalid Request",
        "One or more parameters to your request was invalid.",
        INVALID_REQUEST,
        errors=[{"parameters": {name: values}, "message": message}],
    )


def requested(request: Request, name: str, allowed: frozenset[str]) -> tuple[set[str], JSONResponse | None]:
    values = [v for v in request.query_params.get(name, "").split(",") if v]
    unknown = [v for v in values if v not in allowed]
    return set(values), (invalid_parameter(name, unknown, allowed) if unknown else None)


def unauthorized() -> JSONResponse:
    return problem(401, "Unauthorized", "Unauthorized")


def writer(state: PlatformState, request: Request, scope: str,
           refusal: str) -> tuple[Grant, None] | tuple[None, JSONResponse]:
    """``(grant, None)`` for a bearer holding ``scope``, else ``(None, the 401 or 403 X answers)``."""
    g = state.grant_for(bearer(request))
    if g is None:
        return None, unauthorized()
    if scope not in g.scopes:
        return None, problem(403, "Forbidden", refusal)
    return g, None
