"""Approvals HTTP function (lily.approvals): the org's policy, the queue of waiting posts and drafts, decisions."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from typing import Literal

from fastapi import Depends, Query

from lily.approvals import policy, workflow
from lily.approvals.ports import ApprovalPorts
from lily.approvals.schemas import DecisionIn, DecisionOut, PolicyIn, PolicyOut, RequestOut, RequestPage
from lily.composition import approval_ports
from lily.core.config import get_settings
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware

settings = get_settings()
app = create_app("Lily approvals", "Approval before publishing: policy, queue and decisions",
                 middleware=[rate_limit_middleware])
reader = org_access(OrgRole.viewer, scope="approvals:read")
decider = org_access(OrgRole.editor, scope="approvals:write")  # the policy may name editors as approvers
admin = org_access(OrgRole.admin, scope="approvals:write")
BASE = "/api/orgs/{org_id}/approvals"


@app.get(BASE + "/settings", response_model=PolicyOut, operation_id="approvals_get_settings", tags=["approvals"])
def get_settings_route(org_id: str, access: OrgAccess = Depends(reader)) -> PolicyOut:
    return policy.get(org_id)


@app.put(BASE + "/settings", response_model=PolicyOut, operation_id="approvals_put_settings", tags=["approvals"],
         responses=errors(409))
def put_settings(org_id: str, body: PolicyIn, access: OrgAccess = Depends(admin)) -> PolicyOut:
    return policy.put(org_id, body, access.principal.subject)


@app.get(BASE, response_model=RequestPage, operation_id="approvals_list", tags=["approvals"])
def list_requests(org_id: str, access: OrgAccess = Depends(reader),
                  status: Literal["pending", "all"] = Query("pending", description="pending: the queue, oldest "
                                                                                   "first; all: every request, "
                                                                                   "newest first"),
                  page: PageParams = Depends(page_params)) -> RequestPage:
    return workflow.pending(org_id, page) if status == "pending" else workflow.history(org_id, page)


@app.get(BASE + "/{request_id}", response_model=RequestOut, operation_id="approvals_get", tags=["approvals"])
def get_request(org_id: str, request_id: str, access: OrgAccess = Depends(reader)) -> RequestOut:
    return workflow.get(org_id, request_id)


@app.post(BASE + "/{request_id}/decision", response_model=DecisionOut, operation_id="approvals_decide",
          tags=["approvals"], responses=errors(409, 429))
def decide(org_id: str, request_id: str, body: DecisionIn, access: OrgAccess = Depends(decider),
           ports: ApprovalPorts = Depends(approval_ports)) -> DecisionOut:
    """Approve (optionally with new text or another instant: the post is scheduled), reject or request changes
    (a comment is required). 403 for a role the policy does not make an approver; 409 when already decided."""
    return workflow.decide(ports, org_id, request_id, body, actor=access.principal.subject, role=access.role.value)


handler = http_handler(app)
