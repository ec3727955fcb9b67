"""Health HTTP function: liveness (public) and deep dependency checks (platform admin or operator token)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from lily.core.config import get_settings
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.health import service
from lily.health.operator import OPERATOR_HEADER, is_operator
from lily.health.service import DeepHealth, HealthInfo
from lily.identity.access import SESSIONS_ONLY, PlatformRole, current_principal, platform_access
from lily.identity.ratelimit import rate_limit_middleware

settings = get_settings()
app = create_app("Lily health", "Liveness and dependency checks", middleware=[rate_limit_middleware])
platform_admin = platform_access(PlatformRole.admin)


def operator_or_admin(request: Request) -> None:
    """A monitor with the operator token, else a signed-in platform admin (401/403 otherwise)."""
    if is_operator(request.headers.get(OPERATOR_HEADER)):
        return
    platform_admin(current_principal(request))


operator_or_admin.scope = SESSIONS_ONLY  # type: ignore[attr-defined]
operator_or_admin.min_platform_role = PlatformRole.admin  # type: ignore[attr-defined]


@app.get("/health", response_model=HealthInfo, tags=["health"])
def health() -> HealthInfo:
    return service.info()


@app.get("/health/deep", response_model=DeepHealth, tags=["health"], dependencies=[Depends(operator_or_admin)],
         responses={503: {"model": DeepHealth, "description": "A dependency is unreachable"}, **errors(401, 403)})
def deep() -> JSONResponse:
    result = service.deep()
    return JSONResponse(result.model_dump(), status_code=200 if result.status == "ok" else 503)


handler = http_handler(app)
