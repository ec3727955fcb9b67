"""Autopilot HTTP function (lily.autopilot): settings, manual runs, the runs' logs, notices, weekly reports."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Path

from lily.autopilot import config, jobs, notices, weekly
from lily.autopilot.ports import AutopilotBasics
from lily.autopilot.schemas import (
    AutopilotNoticePage,
    AutopilotReportPage,
    RunOut,
    RunPage,
    SettingsIn,
    SettingsOut,
    WeeklyReportOut,
)
from lily.composition import autopilot_basics
from lily.core.config import get_settings
from lily.core.errors import ErrorCode, LilyError
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware

settings = get_settings()
app = create_app("Lily autopilot", "Autopilot settings, runs and their logs, notices and weekly reports",
                 middleware=[rate_limit_middleware])
reader = org_access(OrgRole.viewer, scope="autopilot:read")
admin = org_access(OrgRole.admin, scope="autopilot:write")
BASE = "/api/orgs/{org_id}/autopilot"


@app.get(BASE + "/settings", response_model=SettingsOut, operation_id="autopilot_get_settings", tags=["autopilot"])
def get_settings_route(org_id: str, access: OrgAccess = Depends(reader),
                       ports: AutopilotBasics = Depends(autopilot_basics)) -> SettingsOut:
    return config.get(ports, org_id)


@app.put(BASE + "/settings", response_model=SettingsOut, operation_id="autopilot_put_settings", tags=["autopilot"],
         responses=errors(409))
def put_settings(org_id: str, body: SettingsIn, access: OrgAccess = Depends(admin),
                 ports: AutopilotBasics = Depends(autopilot_basics)) -> SettingsOut:
    """403 PLAN_001 (naming the plan that lifts it) when enabling on a plan without autopilot."""
    return config.put(ports, org_id, body, access.principal.subject)


@app.post(BASE + "/runs", response_model=RunOut, status_code=202, operation_id="autopilot_start_run",
          tags=["autopilot"])
def start_run(org_id: str, access: OrgAccess = Depends(admin),
              ports: AutopilotBasics = Depends(autopilot_basics)) -> RunOut:
    """Run now (queued; follow it at GET .../runs/{run_id}). A plan without autopilot: 403 PLAN_001 with
    ``upgrade_to``, and the refused run is recorded."""
    run = jobs.start(ports, org_id, "manual")
    if run.status == "refused":
        raise LilyError(ErrorCode.PLAN_001, "Autopilot is not included in this plan",
                        {"feature": "autopilot", "run_id": run.run_id, **(run.stopped or {})})
    return run


@app.get(BASE + "/runs", response_model=RunPage, operation_id="autopilot_list_runs", tags=["autopilot"])
def list_runs(org_id: str, access: OrgAccess = Depends(reader), page: PageParams = Depends(page_params)) -> RunPage:
    return jobs.list_runs(org_id, page)


@app.get(BASE + "/runs/{run_id}", response_model=RunOut, operation_id="autopilot_get_run", tags=["autopilot"])
def get_run(org_id: str, run_id: str, access: OrgAccess = Depends(reader)) -> RunOut:
    return jobs.get(org_id, run_id)


@app.get(BASE + "/notices", response_model=AutopilotNoticePage, operation_id="autopilot_list_notices",
         tags=["autopilot"])
def list_notices(org_id: str, access: OrgAccess = Depends(reader),
                 page: PageParams = Depends(page_params)) -> AutopilotNoticePage:
    return notices.list_notices(org_id, page)


@app.get(BASE + "/reports", response_model=AutopilotReportPage, operation_id="autopilot_list_reports",
         tags=["autopilot"])
def list_reports(org_id: str, access: OrgAccess = Depends(reader),
                 page: PageParams = Depends(page_params)) -> AutopilotReportPage:
    return weekly.list_reports(org_id, page)


@app.get(BASE + "/reports/{week}", response_model=WeeklyReportOut, operation_id="autopilot_get_report",
         tags=["autopilot"])
def get_report(org_id: str, week: str = Path(pattern=r"^\d{4}-\d{2}-\d{2}$"),
               access: OrgAccess = Depends(reader)) -> WeeklyReportOut:
    return weekly.get(org_id, week)


handler = http_handler(app)
