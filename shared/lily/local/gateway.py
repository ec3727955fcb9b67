"""One ASGI app serving every HTTP function under its route prefixes, as API Gateway routes them.

The most specific prefix wins (more literal segments first), exactly like HTTP API route
selection between ``/api/orgs/{org_id}/{proxy+}`` and ``/api/orgs/{org_id}/billing/{proxy+}``.
The merged OpenAPI document of every function is served at ``/openapi.json`` with docs at
``/docs``. Routes that exist only in local mode live under ``/_local/``.

Each request is logged as an invocation of the function that serves it (its name, memory and a request id,
as in Lambda), in the request's own log context: every function shares this process, and their workers'
threads log beside it.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html

from lily.core.functions import FunctionSpec, Http
from lily.core.observability import bind_invocation
from lily.core.openapi import add_links
from lily.local.context import LocalContext


class Route(NamedTuple):
    prefix: str
    pattern: re.Pattern[str]
    literals: int
    segments: int
    function: str
    app: Any
    memory_mb: int = 512
    timeout_s: int = 30


def compile_prefix(prefix: str) -> re.Pattern[str]:
    parts = []
    for seg in prefix.strip("/").split("/"):
        parts.append("[^/]+" if seg.startswith("{") else re.escape(seg))
    return re.compile("^/" + "/".join(parts) + "(/.*)?$")


def routes_for(specs_and_apps: list[tuple[FunctionSpec, Any]]) -> list[Route]:
    routes = []
    for spec, app in specs_and_apps:
        assert isinstance(spec.trigger, Http)
        for prefix in spec.trigger.prefixes:
            segs = prefix.strip("/").split("/")
            routes.append(Route(prefix, compile_prefix(prefix), sum(not s.startswith("{") for s in segs),
                                len(segs), spec.name, app, spec.memory_mb, spec.timeout_s))
    # API Gateway picks the most specific match: more segments, then more literal segments.
    routes.sort(key=lambda r: (r.segments, r.literals), reverse=True)
    return routes


def merged_openapi(apps: list[Any], version: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Lily API", "version": version},
        "paths": {},
        "components": {"schemas": {}},
    }
    for app in apps:
        part = app.openapi()
        doc["paths"].update(part.get("paths", {}))
        for kind, items in part.get("components", {}).items():
            seen = doc["components"].setdefault(kind, {})
            for name, item in items.items():
                # two functions naming different models alike would silently share one schema (a client and a
                # fuzzer would then read one route's answers with the other's model): refused here
                if name in seen and seen[name] != item:
                    raise ValueError(f"two different {kind} are named {name!r}: give one a name of its own")
                seen[name] = item
    return add_links(doc)  # again across functions: an org created by one links to its posts served by another


class Gateway:
    """ASGI callable dispatching to the function apps, falling back to ``root`` (local routes)."""

    def __init__(self, routes: list[Route], root: FastAPI) -> None:
        self.routes = routes
        self.root = root

    def match(self, path: str) -> Route | None:
        for r in self.routes:
            if r.pattern.match(path):
                return r
        return None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            route = self.match(scope["path"])
            if route is not None:
                # this request's task has a context of its own: its keys do not reach the other requests
                bind_invocation(LocalContext(route.function, route.memory_mb, route.timeout_s))
                await route.app(scope, receive, send)
                return
        await self.root(scope, receive, send)


def build_root(openapi_doc: Any) -> FastAPI:
    """The fallback app: merged OpenAPI, docs, JSON 404s and the ``/_local`` routes."""
    from lily.core.http import create_app
    from lily.local.routes import router as local_router

    root = create_app("Lily local gateway", openapi_url=None, docs_url=None, redoc_url=None)

    @root.get("/openapi.json", include_in_schema=False)
    def openapi() -> dict:
        return openapi_doc()

    @root.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Lily API")

    root.include_router(local_router)
    return root
