"""The entitlement gate as FastAPI dependencies (workers call :mod:`lily.billing.entitlements` directly).

Kept apart from the entitlement service so queue workers and scheduled jobs do not import FastAPI.
"""

from __future__ import annotations

from fastapi import Request

from lily.billing.entitlements import _known_feature, _spec, consume, release, require
from lily.billing.plans import Plan


def _org_id(request: Request) -> str:
    org_id = request.path_params.get("org_id")
    if not org_id:
        raise RuntimeError("requires_feature/consumes_quota need an {org_id} path parameter")
    return org_id


def requires_feature(feature: str):
    """A FastAPI dependency: 403 PLAN_001 unless the path's organization has ``feature``.

    Declare it after the ``org_access(...)`` parameter so authorization is checked first::

        def route(org_id: str, access: OrgAccess = Depends(org_access(OrgRole.editor, "posts:write")),
                  plan: Plan = Depends(requires_feature("advanced_scheduling"))): ...
    """
    _known_feature(feature)

    def dependency(request: Request) -> Plan:
        return require(_org_id(request), feature)

    dependency.__name__ = f"requires_{feature.replace(':', '_')}"
    return dependency


def consumes_quota(quota: str, amount: int = 1):
    """A FastAPI dependency: use ``amount`` of ``quota`` before the route runs (429 PLAN_002 when
    used up) and give it back when the route fails with an exception."""
    _spec(quota)

    def dependency(request: Request):
        org_id = _org_id(request)
        used = consume(org_id, quota, amount)
        try:
            yield used
        except Exception:  # boundary: whatever made the route fail, the quota it took goes back
            release(org_id, quota, amount)
            raise

    dependency.__name__ = f"consumes_{quota}"
    return dependency
