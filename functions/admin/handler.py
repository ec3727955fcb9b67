"""Admin HTTP function: /api/admin/*, every route behind ``platform_access`` (set on its router).

super_admin: users and their platform roles; admin: system settings; moderator: audit log, metrics.
"""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split


from fastapi import Depends, Query

from lily.core import observability
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity import audit, user_admin
from lily.identity.access import PlatformRole, Principal, platform_access
from lily.identity.ratelimit import rate_limit_middleware
from lily.identity.schemas import (
    AdminSettingsOut,
    AuditPage,
    MetricPoint,
    PublicUser,
    UserPatch,
)
from lily.identity.settings import identity_settings

app = create_app("Lily admin", "Platform administration", middleware=[rate_limit_middleware])

# Every route names its platform role in ``dependencies`` (routes on the app itself, so they share its route class).
SUPER_ADMIN = [Depends(platform_access(PlatformRole.super_admin))]
ADMIN = [Depends(platform_access(PlatformRole.admin))]
MODERATOR = [Depends(platform_access(PlatformRole.moderator))]
TAGS = ["admin"]


@app.get("/api/admin/users", dependencies=SUPER_ADMIN, tags=TAGS, response_model=PublicUser)
def find_user(email: str) -> PublicUser:
    return user_admin.admin_find_user(email)


@app.get("/api/admin/users/{user_id}", dependencies=SUPER_ADMIN, tags=TAGS, response_model=PublicUser)
def get_user(user_id: str) -> PublicUser:
    return user_admin.admin_get_user(user_id)


@app.patch("/api/admin/users/{user_id}", dependencies=SUPER_ADMIN, tags=TAGS, response_model=PublicUser,
           responses=errors(409))
def update_user(user_id: str, body: UserPatch,
                actor: Principal = Depends(platform_access(PlatformRole.super_admin))) -> PublicUser:
    fields = body.model_fields_set
    return user_admin.admin_update_user(actor, user_id,
                                     body.platform_role if "platform_role" in fields else ...,
                                     body.status if "status" in fields else None)


@app.get("/api/admin/settings", dependencies=ADMIN, tags=TAGS, response_model=AdminSettingsOut)
def settings() -> AdminSettingsOut:
    s = identity_settings()
    return AdminSettingsOut(**{
        "registration_mode": s.registration_mode,
        "access_ttl_user_s": s.access_ttl_user_s,
        "access_ttl_admin_s": s.access_ttl_admin_s,
        "refresh_ttl_s": s.refresh_ttl_s,
        "lockout_threshold": s.lockout_threshold,
        "rate_limit_ip": s.rate_limit_ip,
        "rate_limit_user": s.rate_limit_user,
        "audit_retention_days": s.audit_retention_days,
    })


@app.get("/api/admin/audit", dependencies=MODERATOR, tags=TAGS, response_model=AuditPage)
def all_audit(day: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$"),
              page: PageParams = Depends(page_params)) -> AuditPage:
    return audit.for_day(day, page)


@app.get("/api/admin/metrics", dependencies=MODERATOR, tags=TAGS, response_model=dict[str, list[MetricPoint]],
         description="Every counter series of this function instance, by metric name")
def metrics() -> dict:
    return observability.snapshot()


handler = http_handler(app)
