"""Console HTTP function: the web console's pages under /app (docs/console.md), a thin client of the public API."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from lily.console import pages
from lily.console.client import ApiError
from lily.console.errors import plain
from lily.console.settings import console_settings
from lily.core import snapstart
from lily.core.http import create_app, http_handler
from lily.identity.access import public_route

settings = console_settings()
# Every template compiled before the SnapStart snapshot; without a snapshot (local mode) a page compiles its
# template at its first render, instead of all 27 at init.
snapstart.before_snapshot(pages.compile_templates)
# No rate-limit middleware and no table: every route is public_route here (the console authenticates nobody; the
# API it calls authenticates and limits each call), so its role needs no counter table (docs/console.md).
app = create_app("Lily console", "The web console (HTML pages; not part of the API document)", openapi_url=None,
                 docs_url=None, redoc_url=None)
app.include_router(pages.build_router(public_route))


@app.exception_handler(pages.SignInNeeded)
async def _sign_in(request: Request, exc: pages.SignInNeeded) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": "/app/signin"})
    return RedirectResponse("/app/signin?next=" + request.url.path, status_code=303)


@app.exception_handler(pages.CsrfRefused)
async def _csrf(request: Request, exc: pages.CsrfRefused) -> Response:
    return pages.error_page(request, 403, "This form has expired",
                            "For your safety the form could not be sent. Go back, reload the page and try again.")


@app.exception_handler(ApiError)
async def _api_unavailable(request: Request, exc: ApiError) -> Response:
    """An API failure no page handled (the API unreachable while the session is read): a page, never a trace."""
    problem = plain(exc)
    return pages.error_page(request, 503 if exc.status >= 500 else exc.status, "Something went wrong",
                            problem.message)


@app.exception_handler(404)
async def _not_found(request: Request, exc: Exception) -> Response:
    return pages.error_page(request, 404, "Page not found",
                            "There is nothing at this address. It may have been moved or deleted.")


handler = http_handler(app)
