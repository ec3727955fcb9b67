"""The FastAPI application factory every HTTP function uses.

One place for: the error body and status mapping, request ids and log correlation, security
headers, CORS from configuration. Handlers build their app with :func:`create_app` and wrap it
with :func:`http_handler`.

Core knows no capability: a function that wants a capability's middleware (identity's per-IP rate
limit, for one) passes it to :func:`create_app` itself, so a function loads only what it uses.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from mangum import Mangum
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from lily.core import ids, openapi, snapstart
from lily.core.config import get_settings
from lily.core.errors import ErrorCode, LilyError, error_body
from lily.core.observability import log_invocation, logger, metrics, set_correlation_id, trace_handler

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# The interactive docs page needs scripts and styles from itself only.
_DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
    "frame-ancestors 'none'"
)


# ``async def middleware(request, call_next) -> Response``: Starlette's HTTP middleware function.
HttpMiddleware = Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]


def request_id(request: Request) -> str:
    return getattr(request.state, "request_id", None) or "unknown"


def _status_code(exc: StarletteHTTPException) -> ErrorCode:
    return {
        401: ErrorCode.AUTH_001,
        403: ErrorCode.AUTH_003,
        404: ErrorCode.VALIDATION_004,
        409: ErrorCode.VALIDATION_003,
        413: ErrorCode.VALIDATION_005,
        429: ErrorCode.RATE_001,
    }.get(exc.status_code, ErrorCode.VALIDATION_001 if exc.status_code < 500 else ErrorCode.SYSTEM_001)


def error_response(code: ErrorCode, message: str, request: Request, details: dict | None = None,
                   status: int | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, details, request_id(request)),
        status_code=status or code.status,
        headers=headers,
    )


def allowed_methods(request: Request) -> str:
    """Every method the app serves on the request's path template. Starlette lists only the first matching
    route's methods; the routes sharing its template (``/posts/{post_id}``: GET, PATCH, DELETE) all count, while
    a literal sibling that the template also matches (``/drafts/save`` vs ``/drafts/{draft_id}``) does not."""
    templates = [route.path_format for route in request.app.router.routes
                 if hasattr(route, "path_format") and route.matches(request.scope)[0] is not Match.NONE]
    # The most literal template is the path's own (``/drafts/save`` before ``/drafts/{draft_id}``).
    template = min(templates, key=lambda t: t.count("{"), default=None)
    methods: set[str] = set()
    for route in request.app.router.routes:
        if template is not None and getattr(route, "path_format", None) == template:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


class _StrictJsonRequest(Request):
    """A request whose JSON body must be UTF-8 text: an unpaired surrogate (``"\\ud800"``) is invalid JSON here,
    a 422 at the edge instead of a 500 where the text is stored."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise json.JSONDecodeError("body is not UTF-8", body.decode("utf-8", "replace"), exc.start) from None
            value = json.loads(text)
            try:
                json.dumps(value, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError as exc:
                raise json.JSONDecodeError("unpaired surrogate in a string", text, exc.start) from None
            self._json = value
        return self._json


class LilyRoute(APIRoute):
    """Every route of a Lily app: reads JSON bodies with :class:`_StrictJsonRequest`."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictJsonRequest(request.scope, request.receive))

        return strict


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LilyError)
    async def _lily(request: Request, exc: LilyError) -> JSONResponse:
        log = logger.warning if exc.status < 500 else logger.error
        log("request failed", extra={"code": exc.code.value, "status": exc.status, "path": request.url.path})
        return error_response(exc.code, exc.message, request, exc.details, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return error_response(ErrorCode.VALIDATION_001, "Invalid request", request, {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _status_code(exc)
        message = exc.detail if isinstance(exc.detail, str) else code.default_message
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return error_response(code, message, request, status=exc.status_code, headers=headers or None)


def create_app(title: str, description: str = "", *, middleware: Sequence[HttpMiddleware] = (),
               **kwargs: Any) -> FastAPI:
    """A FastAPI app with Lily's error handling, request ids, security headers and CORS.

    ``middleware`` runs inside Lily's request context, first listed outermost: its answers (a 429 from a
    rate limit, say) still get the request id and the security headers.
    """
    settings = get_settings()
    app = FastAPI(title=title, description=description, version=settings.version,
                  generate_unique_id_function=openapi.operation_id, **kwargs)
    app.router.route_class = LilyRoute
    install_error_handlers(app)
    openapi.install(app, middleware)
    # Starlette runs the last registered middleware outermost: register the given ones innermost-first, then the
    # context middleware last so that it wraps them all.
    for mw in reversed(middleware):
        app.middleware("http")(mw)

    @app.middleware("http")
    async def _context(request: Request, call_next):
        event = request.scope.get("aws.event") or {}
        rid = (
            request.headers.get("x-request-id")
            or (event.get("requestContext") or {}).get("requestId")
            or ids.ulid()
        )[:64]
        request.state.request_id = rid
        set_correlation_id(rid)
        try:
            response = await call_next(request)
        except Exception:  # noqa: BLE001 - the one place an unexpected error becomes a 500 body
            logger.exception("unhandled error", extra={"path": request.url.path})
            response = error_response(ErrorCode.SYSTEM_001, ErrorCode.SYSTEM_001.default_message, request)
        response.headers["X-Request-Id"] = rid
        docs = request.url.path.endswith("/docs")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, _DOCS_CSP if docs and name == "Content-Security-Policy" else value)
        return response

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-CSRF-Token", "Idempotency-Key", "X-Request-Id"],
        )
    return app


def http_handler(app: FastAPI) -> Callable[[dict, Any], dict]:
    """Wrap a FastAPI app for API Gateway HTTP API (payload v2)."""
    adapter = Mangum(app, lifespan="off")

    @log_invocation(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @metrics.log_metrics
    @trace_handler
    def handler(event: dict, context: Any) -> dict:
        return adapter(event, context)

    handler.__name__ = "handler"
    snapstart.install()
    snapstart.end_of_init()
    return handler
