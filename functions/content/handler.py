"""Content HTTP function (lily.content): the brand profile, generate / repurpose / rewrite, and AI drafts."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Query, Response
from fastapi.responses import JSONResponse

import lily.ai.openai_client  # noqa: F401 - openai (~2 s) loads at cold start / in the snapshot, not per request
from lily.approvals import workflow as approvals
from lily.approvals.ports import ApprovalPorts
from lily.approvals.schemas import DecisionIn
from lily.composition import approval_ports, content_ports
from lily.content import brand, drafts, jobs
from lily.content.generate import generate
from lily.content.ports import ContentPorts
from lily.content.repurpose import repurpose
from lily.content.rewrite import rewrite
from lily.content.schemas import (
    BrandOut,
    BrandPut,
    DraftEdit,
    DraftOut,
    DraftPage,
    GenerateIn,
    GenerationJobOut,
    GenerationOut,
    RepurposeIn,
    RewriteIn,
    SaveIn,
    SaveOut,
    TemplateOut,
    TemplatePage,
)
from lily.content.templates import ranked
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware

app = create_app("Lily content", "Brand voice, templates and AI drafts", middleware=[rate_limit_middleware])
brand_reader = org_access(OrgRole.viewer, scope="brand:read")
brand_admin = org_access(OrgRole.admin, scope="brand:write")
reader = org_access(OrgRole.viewer, scope="content:read")
writer = org_access(OrgRole.editor, scope="content:write")
approver = org_access(OrgRole.admin, scope="content:write")
BRAND = "/api/orgs/{org_id}/brand"
BASE = "/api/orgs/{org_id}/content"


@app.get(BRAND, response_model=BrandOut, operation_id="content_get_brand", tags=["brand"])
def get_brand(org_id: str, access: OrgAccess = Depends(brand_reader)) -> BrandOut:
    return brand.get(org_id)


@app.put(BRAND, response_model=BrandOut, operation_id="content_put_brand", tags=["brand"], responses=errors(409))
def put_brand(org_id: str, body: BrandPut, access: OrgAccess = Depends(brand_admin)) -> BrandOut:
    return brand.put(org_id, body, access.principal.subject)


@app.delete(BRAND, status_code=204, response_model=None, operation_id="content_delete_brand", tags=["brand"])
def delete_brand(org_id: str, access: OrgAccess = Depends(brand_admin)) -> Response:
    brand.delete(org_id)
    return Response(status_code=204)


@app.get(BASE + "/templates", response_model=TemplatePage, operation_id="content_list_templates", tags=["content"])
def list_templates(org_id: str, access: OrgAccess = Depends(reader),
                   ports: ContentPorts = Depends(content_ports)) -> TemplatePage:
    # Per platform, the org's best-performing templates and tones first (its analytics), then the catalog's order.
    return TemplatePage(items=[TemplateOut(template_id=t.template_id, tone=t.tone, structure=t.structure,
                                           platform=t.platform, instructions=t.instructions, prompt=t.prompt,
                                           placeholders=t.placeholders(), performance=b.brief() if b else None)
                               for t, b in ranked(ports.performance.best(org_id))])


@app.post(BASE + "/generate", response_model=GenerationOut, status_code=201, operation_id="content_generate",
          tags=["content"], responses={202: {"model": GenerationJobOut, "description": (
              "The request is too large for the synchronous window (docs/content.md, \"Large requests\"): a job; "
              "poll GET .../content/jobs/{job_id}")}})
def generate_route(org_id: str, body: GenerateIn, access: OrgAccess = Depends(writer),
                   ports: ContentPorts = Depends(content_ports)) -> GenerationOut | JSONResponse:
    estimate = jobs.is_large(body)
    if estimate is not None:
        job = jobs.accept(org_id, body, access.principal.subject, estimate)
        return JSONResponse(job.model_dump(mode="json"), status_code=202,
                            headers={"Location": f"/api/orgs/{org_id}/content/jobs/{job.job_id}"})
    return generate(ports, org_id, body, access.principal.subject)


@app.get(BASE + "/jobs/{job_id}", response_model=GenerationJobOut, operation_id="content_get_job", tags=["content"],
         responses=errors(404))
def get_job(org_id: str, job_id: str, access: OrgAccess = Depends(reader)) -> GenerationJobOut:
    return jobs.get(org_id, job_id)


@app.post(BASE + "/repurpose", response_model=GenerationOut, status_code=201, operation_id="content_repurpose",
          tags=["content"])
def repurpose_route(org_id: str, body: RepurposeIn, access: OrgAccess = Depends(writer),
                    ports: ContentPorts = Depends(content_ports)) -> GenerationOut:
    return repurpose(ports, org_id, body, access.principal.subject)


@app.post(BASE + "/rewrite", response_model=GenerationOut, status_code=201, operation_id="content_rewrite",
          tags=["content"])
def rewrite_route(org_id: str, body: RewriteIn, access: OrgAccess = Depends(writer),
                  ports: ContentPorts = Depends(content_ports)) -> GenerationOut:
    return rewrite(ports, org_id, body, access.principal.subject)


@app.get(BASE + "/drafts", response_model=DraftPage, operation_id="content_list_drafts", tags=["drafts"])
def list_drafts(org_id: str, access: OrgAccess = Depends(reader),
                generation_id: str | None = Query(None, pattern=r"^gen_[0-9a-z]{26}$"),
                page: PageParams = Depends(page_params)) -> DraftPage:
    return drafts.list_drafts(org_id, generation_id, page)


@app.get(BASE + "/drafts/{draft_id}", response_model=DraftOut, operation_id="content_get_draft", tags=["drafts"])
def get_draft(org_id: str, draft_id: str, access: OrgAccess = Depends(reader)) -> DraftOut:
    return drafts.get(org_id, draft_id)


@app.patch(BASE + "/drafts/{draft_id}", response_model=DraftOut, operation_id="content_edit_draft", tags=["drafts"],
           responses=errors(409))
def edit_draft(org_id: str, draft_id: str, body: DraftEdit, access: OrgAccess = Depends(writer),
               ports: ContentPorts = Depends(content_ports)) -> DraftOut:
    return drafts.edit(ports, org_id, draft_id, body, access.principal.subject)


@app.post(BASE + "/drafts/{draft_id}/approve", response_model=DraftOut, operation_id="content_approve_draft",
          tags=["drafts"], responses=errors(409))
def approve_draft(org_id: str, draft_id: str, access: OrgAccess = Depends(approver),
                  aports: ApprovalPorts = Depends(approval_ports)) -> DraftOut:
    """A decision of the one approval workflow (lily.approvals): audited, its author told, its request closed."""
    draft = drafts.get(org_id, draft_id)
    if draft.status != "flagged":  # nothing to decide: approve is idempotent (saved drafts answer 409)
        return drafts.approve(org_id, draft_id)
    decided = approvals.decide_subject(aports, org_id, "draft", draft_id, DecisionIn(decision="approve"),
                                       actor=access.principal.subject, role=access.role.value, summary=draft.text)
    return DraftOut.model_validate(decided.subject)


@app.post(BASE + "/drafts/save", response_model=SaveOut, status_code=201, operation_id="content_save_drafts",
          tags=["drafts"], responses=errors(409))
def save_drafts(org_id: str, body: SaveIn, access: OrgAccess = Depends(writer),
                ports: ContentPorts = Depends(content_ports)) -> SaveOut:
    return drafts.save(ports, org_id, body, access.principal.subject)


handler = http_handler(app)
