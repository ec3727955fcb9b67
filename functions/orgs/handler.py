"""Orgs HTTP function: organizations, members, roles, invitations, API keys and the org audit log."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Response

from lily.composition import identity_ports
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity import apikeys, audit, orgs
from lily.identity.access import (
    SESSIONS_ONLY,
    OrgAccess,
    OrgRole,
    Principal,
    current_user,
    org_access,
    scoped_principal,
)
from lily.identity.orgs import InviteOut, MemberOut, OrgOut
from lily.identity.ports import IdentityPorts
from lily.identity.ratelimit import rate_limit_middleware
from lily.identity.schemas import (
    AcceptIn,
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    ApiKeyPage,
    AuditPage,
    InviteIn,
    MemberPage,
    OrgIn,
    OrgPage,
    OrgUpdate,
    RoleIn,
    TransferIn,
)

app = create_app("Lily organizations", "Organizations, members and roles, invitations, API keys, audit log",
                 middleware=[rate_limit_middleware])
member_admin = org_access(OrgRole.admin, "members:write")
key_admin = org_access(OrgRole.admin, SESSIONS_ONLY)  # API keys never see or manage API keys
owner_session = org_access(OrgRole.owner, SESSIONS_ONLY)


@app.post("/api/orgs", status_code=201, response_model=OrgOut, tags=["orgs"], responses=errors(409))
def create(body: OrgIn, principal: Principal = Depends(current_user),
           ports: IdentityPorts = Depends(identity_ports)) -> OrgOut:
    return orgs.create_org(ports, principal, body.name)


@app.get("/api/orgs", response_model=OrgPage, tags=["orgs"])
def mine(principal: Principal = Depends(scoped_principal("orgs:read")), page: PageParams = Depends(page_params)
         ) -> OrgPage:
    return orgs.my_orgs(principal, page)


@app.post("/api/invites/accept", response_model=OrgOut, tags=["orgs"])
def accept(body: AcceptIn, principal: Principal = Depends(current_user),
           ports: IdentityPorts = Depends(identity_ports)) -> OrgOut:
    return orgs.accept_invite(ports, principal, body.token)


@app.get("/api/orgs/{org_id}", response_model=OrgOut, tags=["orgs"])
def get(org_id: str, access: OrgAccess = Depends(org_access(OrgRole.viewer, "orgs:read"))) -> OrgOut:
    return orgs.get_org(access)


@app.patch("/api/orgs/{org_id}", response_model=OrgOut, tags=["orgs"])
def update_org(org_id: str, body: OrgUpdate, access: OrgAccess = Depends(org_access(OrgRole.admin, "orgs:write"))
           ) -> OrgOut:
    """Rename the organization or set its IANA time zone (posting slots and the calendar use it)."""
    return orgs.update_org(access, body)


@app.get("/api/orgs/{org_id}/members", response_model=MemberPage, tags=["orgs"])
def members(org_id: str, access: OrgAccess = Depends(org_access(OrgRole.viewer, scope="members:read")),
            page: PageParams = Depends(page_params)) -> MemberPage:
    return orgs.members(access, page)


@app.post("/api/orgs/{org_id}/invites", status_code=201, response_model=InviteOut, tags=["orgs"],
          responses=errors(409))
def invite(org_id: str, body: InviteIn, access: OrgAccess = Depends(member_admin),
           ports: IdentityPorts = Depends(identity_ports)) -> InviteOut:
    return orgs.invite(ports, access, body.email, OrgRole(body.role))


@app.patch("/api/orgs/{org_id}/members/{user_id}", response_model=MemberOut, tags=["orgs"], responses=errors(409))
def change_role(org_id: str, user_id: str, body: RoleIn,
                access: OrgAccess = Depends(member_admin)) -> MemberOut:
    return orgs.change_role(access, user_id, body.role)


@app.delete("/api/orgs/{org_id}/members/{user_id}", status_code=204, tags=["orgs"], responses=errors(409))
def remove(org_id: str, user_id: str, access: OrgAccess = Depends(member_admin),
           ports: IdentityPorts = Depends(identity_ports)) -> Response:
    orgs.remove_member(ports, access, user_id)
    return Response(status_code=204)


@app.post("/api/orgs/{org_id}/leave", status_code=204, tags=["orgs"], responses=errors(409))
def leave(org_id: str, access: OrgAccess = Depends(org_access(OrgRole.viewer, SESSIONS_ONLY)),
          ports: IdentityPorts = Depends(identity_ports)) -> Response:
    orgs.leave(ports, access)
    return Response(status_code=204)


@app.post("/api/orgs/{org_id}/transfer", response_model=OrgOut, tags=["orgs"], responses=errors(409))
def transfer(org_id: str, body: TransferIn, access: OrgAccess = Depends(owner_session)) -> OrgOut:
    return orgs.transfer(access, body.user_id)


@app.get("/api/orgs/{org_id}/audit", response_model=AuditPage, tags=["orgs"])
def org_audit(org_id: str, access: OrgAccess = Depends(org_access(OrgRole.admin, "audit:read")),
              page: PageParams = Depends(page_params)) -> AuditPage:
    return audit.for_org(access.org_id, page)


@app.post("/api/orgs/{org_id}/api-keys", status_code=201, response_model=ApiKeyCreated, tags=["api keys"])
def create_key(org_id: str, body: ApiKeyIn, access: OrgAccess = Depends(key_admin),
               ports: IdentityPorts = Depends(identity_ports)) -> ApiKeyCreated:
    return apikeys.create(ports, access, body)


@app.get("/api/orgs/{org_id}/api-keys", response_model=ApiKeyPage, tags=["api keys"])
def list_keys(org_id: str, access: OrgAccess = Depends(key_admin), page: PageParams = Depends(page_params)
              ) -> ApiKeyPage:
    return apikeys.list_keys(access, page)


@app.delete("/api/orgs/{org_id}/api-keys/{key_id}", response_model=ApiKeyOut, tags=["api keys"])
def revoke_key(org_id: str, key_id: str, access: OrgAccess = Depends(key_admin)) -> ApiKeyOut:
    return apikeys.revoke(access, key_id)


handler = http_handler(app)
