"""Research HTTP function: configs CRUD, runs on demand, jobs, reports, insights and memory search.

The audit's 13 research endpoints (8 GET, 3 POST, 1 PUT, 1 DELETE) map onto these routes (docs/research.md).
"""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Response

import lily.ai.openai_client  # noqa: F401 - openai (~2 s) loads at cold start / in the snapshot, not per request
from lily.composition import memory_ports, research_gate
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware
from lily.research import configs, insights, jobs, memory, reports
from lily.research.ports import MemoryPorts, ResearchGate
from lily.research.schemas import (
    ConfigIn,
    ConfigOut,
    ConfigPage,
    ConfigPut,
    InsightOut,
    JobOut,
    JobPage,
    ReportOut,
    ReportPage,
    RunIn,
    SearchIn,
    SearchOut,
)

app = create_app("Lily research", "Industry research: configs, runs, reports and insights",
                 middleware=[rate_limit_middleware])
reader = org_access(OrgRole.viewer, scope="research:read")
writer = org_access(OrgRole.editor, scope="research:write")
admin = org_access(OrgRole.admin, scope="research:write")
BASE = "/api/orgs/{org_id}/research"


@app.get(BASE + "/configs", response_model=ConfigPage, operation_id="research_list_configs", tags=["research"],
         responses=errors(422))
def list_configs(org_id: str, access: OrgAccess = Depends(reader),
                 page: PageParams = Depends(page_params)) -> ConfigPage:
    return configs.list_configs(org_id, page)


@app.post(BASE + "/configs", response_model=ConfigOut, status_code=201, operation_id="research_create_config",
          tags=["research"], responses=errors(403, 409))
def create_config(org_id: str, body: ConfigIn, access: OrgAccess = Depends(admin),
                  gate: ResearchGate = Depends(research_gate)) -> ConfigOut:
    return configs.create(gate, org_id, body, access.principal.subject)


@app.get(BASE + "/configs/{config_id}", response_model=ConfigOut, operation_id="research_get_config",
         tags=["research"], responses=errors(404))
def get_config(org_id: str, config_id: str, access: OrgAccess = Depends(reader)) -> ConfigOut:
    return configs.get(org_id, config_id)


@app.put(BASE + "/configs/{config_id}", response_model=ConfigOut, operation_id="research_update_config",
         tags=["research"], responses=errors(404, 409))
def update_config(org_id: str, config_id: str, body: ConfigPut, access: OrgAccess = Depends(admin)) -> ConfigOut:
    return configs.update(org_id, config_id, body)


@app.delete(BASE + "/configs/{config_id}", status_code=204, response_model=None,
            operation_id="research_delete_config", tags=["research"], responses=errors(404))
def delete_config(org_id: str, config_id: str, access: OrgAccess = Depends(admin)) -> Response:
    configs.delete(org_id, config_id)
    return Response(status_code=204)


@app.post(BASE + "/run", response_model=JobOut, status_code=202, operation_id="research_run",
          tags=["research"], responses=errors(403, 404, 409))
def run(org_id: str, body: RunIn, access: OrgAccess = Depends(writer), gate: ResearchGate = Depends(research_gate)
        ) -> JobOut:
    return jobs.run_now(gate, org_id, body.config_id, access.principal.subject)


@app.get(BASE + "/jobs", response_model=JobPage, operation_id="research_list_jobs", tags=["research"],
         responses=errors(422))
def list_jobs(org_id: str, access: OrgAccess = Depends(reader),
              page: PageParams = Depends(page_params)) -> JobPage:
    return jobs.list_jobs(org_id, page)


@app.get(BASE + "/jobs/{job_id}", response_model=JobOut, operation_id="research_get_job", tags=["research"],
         responses=errors(404))
def get_job(org_id: str, job_id: str, access: OrgAccess = Depends(reader)) -> JobOut:
    return jobs.get(org_id, job_id)


@app.get(BASE + "/reports", response_model=ReportPage, operation_id="research_list_reports", tags=["research"],
         responses=errors(422))
def list_reports(org_id: str, access: OrgAccess = Depends(reader),
                 page: PageParams = Depends(page_params)) -> ReportPage:
    return reports.list_reports(org_id, page)


@app.get(BASE + "/reports/latest", response_model=ReportOut, operation_id="research_latest_report",
         tags=["research"], responses=errors(404))
def latest_report(org_id: str, access: OrgAccess = Depends(reader)) -> ReportOut:
    return reports.latest(org_id)


@app.get(BASE + "/reports/{report_id}", response_model=ReportOut, operation_id="research_get_report",
         tags=["research"], responses=errors(404))
def get_report(org_id: str, report_id: str, access: OrgAccess = Depends(reader)) -> ReportOut:
    return reports.get(org_id, report_id)


@app.get(BASE + "/insights/{insight_id}", response_model=InsightOut, operation_id="research_get_insight",
         tags=["research"], responses=errors(404))
def get_insight(org_id: str, insight_id: str, access: OrgAccess = Depends(reader)) -> InsightOut:
    return insights.get(org_id, insight_id)


@app.post(BASE + "/search", response_model=SearchOut, operation_id="research_search", tags=["research"],
          responses=errors(403, 429, 502, 503))
def search(org_id: str, body: SearchIn, access: OrgAccess = Depends(reader),
           ports: MemoryPorts = Depends(memory_ports)) -> SearchOut:
    return memory.search(ports, org_id, body, access.principal.subject)


handler = http_handler(app)
