"""Health HTTP function: liveness and deep dependency checks."""

from fastapi.responses import JSONResponse

from lily.core.config import get_settings
from lily.core.http import create_app, http_handler
from lily.health import service
from lily.health.service import DeepHealth, HealthInfo

settings = get_settings()
app = create_app("Lily health", "Liveness and dependency checks")


@app.get("/health", response_model=HealthInfo, tags=["health"])
def health() -> HealthInfo:
    return service.info()


@app.get("/health/deep", response_model=DeepHealth, tags=["health"],
         responses={503: {"model": DeepHealth, "description": "A dependency is unreachable"}})
def deep() -> JSONResponse:
    result = service.deep()
    return JSONResponse(result.model_dump(), status_code=200 if result.status == "ok" else 503)


handler = http_handler(app)
