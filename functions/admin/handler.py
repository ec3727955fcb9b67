"""Admin HTTP function: /api/admin/*, every route behind ``platform_access`` (set on its router).

super_admin: users and their platform roles; admin: system settings; moderator: audit log, metrics.
"""

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from lily.core import observability
from lily.core.http import create_app, http_handler
from lily.identity import audit, service
from lily.identity.access import PlatformRole, Principal, platform_access
from lily.identity.audit import AuditEntry
from lily.identity.ratelimit import rate_limit_middleware
from lily.identity.service import PublicUser
from lily.identity.settings import identity_settings

app = create_app("Lily admin", "Platform administration", middleware=[rate_limit_middleware])

super_admins = APIRouter(dependencies=[Depends(platform_access(PlatformRole.super_admin))], tags=["admin"])
admins = APIRouter(dependencies=[Depends(platform_access(PlatformRole.admin))], tags=["admin"])
moderators = APIRouter(dependencies=[Depends(platform_access(PlatformRole.moderator))], tags=["admin"])


class UserPatch(BaseModel):
    platform_role: PlatformRole | None = None
    status: Literal["active", "suspended"] | None = None


@super_admins.get("/api/admin/users", response_model=PublicUser)
def find_user(email: str) -> PublicUser:
    return service.admin_find_user(email)


@super_admins.get("/api/admin/users/{user_id}", response_model=PublicUser)
def get_user(user_id: str) -> PublicUser:
    return service.admin_get_user(user_id)


@super_admins.patch("/api/admin/users/{user_id}", response_model=PublicUser)
def update_user(user_id: str, body: UserPatch,
                actor: Principal = Depends(platform_access(PlatformRole.super_admin))) -> PublicUser:
    fields = body.model_fields_set
    return service.admin_update_user(actor, user_id,
                                     body.platform_role if "platform_role" in fields else ...,
                                     body.status if "status" in fields else None)


@admins.get("/api/admin/settings")
def settings() -> dict:
    s = identity_settings()
    return {
        "registration_mode": s.registration_mode,
        "access_ttl_user_s": s.access_ttl_user_s,
        "access_ttl_admin_s": s.access_ttl_admin_s,
        "refresh_ttl_s": s.refresh_ttl_s,
        "lockout_threshold": s.lockout_threshold,
        "rate_limit_ip": s.rate_limit_ip,
        "rate_limit_user": s.rate_limit_user,
        "audit_retention_days": s.audit_retention_days,
    }


@moderators.get("/api/admin/audit", response_model=list[AuditEntry])
def all_audit(day: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$"), limit: int = 100) -> list[AuditEntry]:
    return audit.for_day(day, min(max(limit, 1), 500))


@moderators.get("/api/admin/metrics")
def metrics() -> dict:
    return observability.snapshot()


app.include_router(super_admins)
app.include_router(admins)
app.include_router(moderators)

handler = http_handler(app)
