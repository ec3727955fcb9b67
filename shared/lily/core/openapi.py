"""The OpenAPI document of an HTTP function, made to tell the truth about errors and credentials.

FastAPI documents what a route returns on success and a 422 in its own shape. Lily answers every error with
one body (``ErrorBody``, see :mod:`lily.core.errors`), so this module rewrites the document in one place:

- every error status an operation can answer is declared with ``ErrorBody``: 422 when it takes any input,
  404 when its path names a resource, whatever its dependencies and middleware declare (401 for a bearer
  token, 403 for a role, 429 for a rate limit, 409 for an idempotency key), and the statuses a route lists
  in its own ``responses=`` without a model;
- security requirements come from the same declarations: a dependency that reads credentials says which
  scheme with :func:`declares`, so the document never drifts from the code that checks them;
- operation ids read ``<tag>_<function name>`` (``billing_org_usage``), so generated SDKs read well;
- OpenAPI links (:func:`add_links`) say where a created object's id goes next (an org to its sub-resources, a post
  to its schedule, cancel and delete), so a client or a stateful fuzzer can follow them.

Core knows no capability: a capability marks its dependencies (or its middleware) with :func:`declares`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from lily.core.errors import ErrorCode

F = TypeVar("F", bound=Callable[..., Any])
REF = "#/components/schemas/{model}"
_CONTRACT = "__lily_contract__"

# The usual meaning of each error status, used as the response's description.
DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated, or the credentials are invalid, expired or revoked",
    403: "Not allowed (role, scope, plan or CSRF check)",
    404: "Not found (or not visible to the caller)",
    409: "Conflict with the current state",
    413: "Payload too large",
    422: "Invalid input",
    429: "Rate limit or plan quota reached; see Retry-After",
    502: "An upstream provider failed",
    503: "Temporarily unavailable",
}


class ErrorDetail(BaseModel):
    code: ErrorCode = Field(description="Error taxonomy code")
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None


class ErrorBody(BaseModel):
    """Every error Lily answers, whatever its status."""

    error: ErrorDetail


@dataclass(frozen=True)
class Contract:
    """What a dependency or middleware adds to an operation's contract."""

    errors: tuple[int, ...] = ()
    # Security requirements, all needed together: ``{scheme name: scheme object}``.
    security: Mapping[str, dict[str, Any]] = field(default_factory=dict)


def declares(*, errors: Iterable[int] = (), security: Mapping[str, dict[str, Any]] | None = None
             ) -> Callable[[F], F]:
    """Mark a dependency or a middleware with the errors it can answer and the credentials it reads."""
    contract = Contract(tuple(errors), dict(security or {}))

    def mark(fn: F) -> F:
        setattr(fn, _CONTRACT, contract)
        return fn

    return mark


def contract_of(fn: Any) -> Contract | None:
    return getattr(fn, _CONTRACT, None)


def operation_id(route: APIRoute) -> str:
    """``<first tag>_<function name>``, the tag in snake case (``api keys`` -> ``api_keys``)."""
    tag = str(route.tags[0]) if route.tags else "lily"
    return f"{tag.replace(' ', '_').replace('-', '_').lower()}_{route.name}"


def _contracts(dependant: Dependant) -> list[Contract]:
    found = []
    for dep in dependant.dependencies:
        contract = contract_of(dep.call)
        if contract is not None:
            found.append(contract)
        found.extend(_contracts(dep))
    return found


def _takes_input(dependant: Dependant) -> bool:
    flat = [dependant.path_params, dependant.query_params, dependant.header_params, dependant.cookie_params,
            dependant.body_params]
    return any(flat) or any(_takes_input(d) for d in dependant.dependencies)


def _error_response(status: int, description: str | None = None) -> dict[str, Any]:
    return {
        "description": description or DESCRIPTIONS.get(status, "Error"),
        "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}},
    }


def _document_operation(op: dict[str, Any], route: APIRoute, app_contracts: list[Contract],
                        schemes: dict[str, dict[str, Any]]) -> None:
    contracts = app_contracts + _contracts(route.dependant)
    statuses: set[int] = set()
    if route.dependant.path_params:
        statuses.add(404)
    if _takes_input(route.dependant):
        statuses.add(422)
    security: dict[str, list[str]] = {}
    for contract in contracts:
        statuses.update(contract.errors)
        for name, scheme in contract.security.items():
            schemes[name] = scheme
            security[name] = []
    responses = op.setdefault("responses", {})
    for status, spec in route.responses.items():
        if str(status).isdigit() and int(status) >= 400 and "model" not in spec:
            statuses.add(int(status))
    for status in sorted(statuses):
        given = responses.get(str(status), {})
        if str(status) == "422" or "content" not in given:
            responses[str(status)] = _error_response(status, given.get("description") if status != 422 else None)
    op["security"] = [security] if security else []


def _error_components() -> dict[str, Any]:
    schema = ErrorBody.model_json_schema(ref_template=REF)
    defs = schema.pop("$defs", {})
    return {"ErrorBody": schema, **defs}


def document(app: FastAPI, app_contracts: list[Contract]) -> dict[str, Any]:
    """The app's OpenAPI document with Lily's errors, security and operation ids (cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, openapi_version=app.openapi_version,
                      description=app.description, routes=app.routes, tags=app.openapi_tags, servers=app.servers)
    schemes: dict[str, dict[str, Any]] = {}
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods:
            op = doc.get("paths", {}).get(route.path_format, {}).get(method.lower())
            if op is not None:
                _document_operation(op, route, app_contracts, schemes)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(_error_components())
    if schemes:
        components["securitySchemes"] = dict(sorted(schemes.items()))
    add_links(doc)
    app.openapi_schema = doc
    return doc


def install(app: FastAPI, middleware: Iterable[Any] = ()) -> None:
    """Serve :func:`document` as the app's OpenAPI; middleware contracts apply to every operation."""
    app_contracts = [c for c in (contract_of(mw) for mw in middleware) if c is not None]
    app.openapi = lambda: document(app, app_contracts)  # type: ignore[method-assign]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=errors(409)`` on a route: statuses it answers on its own, documented with ``ErrorBody``."""
    return {status: {"description": DESCRIPTIONS.get(status, "Error")} for status in statuses}


_PARAM = re.compile(r"{(\w+)}")


def add_links(doc: dict[str, Any]) -> dict[str, Any]:
    """Link each creating operation (POST/PUT) to the operations that take the ids its answer carries.

    An answer with ``post_id`` links to every operation whose path parameters are that id plus the creating
    operation's own path parameters (``/api/orgs/{org_id}/posts`` -> ``.../posts/{post_id}/schedule``).
    """
    ops = [(path, method, op) for path, item in doc.get("paths", {}).items() for method, op in item.items()
           if isinstance(op, dict) and "operationId" in op]
    schemas = doc.get("components", {}).get("schemas", {})
    for path, method, op in ops:
        if method not in ("post", "put"):
            continue
        own = set(_PARAM.findall(path))
        for status, response in op.get("responses", {}).items():
            ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
            if not status.startswith("2") or not ref:
                continue
            ids = {name for name in schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
                   if name.endswith("_id") and name not in own}
            links: dict[str, Any] = {}
            for target_path, _, target in ops:
                params = _PARAM.findall(target_path)
                if target is op or not ids.intersection(params) or not set(params) <= ids | own:
                    continue
                links[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": {p: f"$response.body#/{p}" if p in ids else f"$request.path.{p}" for p in params},
                }
            if links:
                response["links"] = dict(sorted(links.items()))
    return doc
