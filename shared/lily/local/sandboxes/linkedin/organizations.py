"""Organizations and what hangs off them: ``organizationAcls`` (the member's admin roles), ``organizations``,
``networkSizes`` (followers), the Images API (``initializeUpload`` and the upload URL), share statistics and
social actions."""

from __future__ import annotations

import time
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes import engagement
from lily.local.sandboxes.linkedin.state import LinkedInState, li_error


def share_statistics(state: LinkedInState, request: Request) -> dict:
    """The asked post's statistics, grown with its age (lily.local.sandboxes.engagement); zeros when unknown."""
    asked = request.query_params.get("shares") or request.query_params.get("ugcPosts") or ""
    urn = unquote(asked.removeprefix("List(").removesuffix(")"))
    post = state.posts.get(urn)
    c = engagement.counts(urn, post["created_at"] / 1000) if post else dict.fromkeys(
        ("impressions", "likes", "comments", "shares", "clicks"), 0)
    engaged = c["likes"] + c["comments"] + c["shares"] + c["clicks"]
    return {"impressionCount": c["impressions"], "uniqueImpressionsCount": int(c["impressions"] * 0.7),
            "clickCount": c["clicks"], "likeCount": c["likes"], "commentCount": c["comments"],
            "shareCount": c["shares"], "engagement": round(engaged / c["impressions"], 4) if c["impressions"] else 0}


def router(state: LinkedInState) -> APIRouter:
    api = APIRouter()

    @api.get("/rest/organizationAcls")
    def acls(request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        if not {"rw_organization_admin", "r_organization_admin"} & set(g.scopes):
            return li_error(403, "Not enough permissions to access: organizationAcls.FINDER-roleAssignee", 100)
        return JSONResponse({
            "elements": [
                {"roleAssignee": state.person(g.user), "organization": f"urn:li:organization:{o['id']}",
                 "role": "ADMINISTRATOR", "state": "APPROVED"}
                for o in state.orgs_of(g.user)
            ],
            "paging": {"count": 10, "start": 0},
        })

    @api.get("/rest/organizations/{org_id}")
    def organization(org_id: str, request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        for o in state.orgs_of(g.user):
            if o["id"] == org_id:
                return JSONResponse(o)
        return li_error(404, "Not Found", 100)

    @api.post("/rest/images")
    async def images(request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        if request.query_params.get("action") != "initializeUpload":
            return li_error(400, "unsupported action", 100)
        owner = ((await request.json()).get("initializeUploadRequest") or {}).get("owner", "")
        if not state.may_author(g, owner):
            return li_error(403, "Not enough permissions", 100)
        image = f"urn:li:image:{state.next_id('C')}"
        state.media[image] = {"id": image, "owner": owner, "status": "WAITING_UPLOAD"}
        base = str(request.base_url).rstrip("/")
        return JSONResponse({"value": {"uploadUrlExpiresAt": int(time.time() * 1000) + 86400000,
                                       "uploadUrl": f"{base}/rest/_upload/{image}", "image": image}})

    @api.put("/rest/_upload/{image}")
    async def upload(image: str, request: Request) -> Response:
        m = state.media.get(unquote(image))
        if m is None:
            return li_error(404, "Not Found")
        m["size"], m["status"] = len(await request.body()), "AVAILABLE"
        return Response(status_code=201)

    @api.get("/rest/organizationalEntityShareStatistics")
    def share_stats(request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        return JSONResponse({"elements": [{
            "organizationalEntity": request.query_params.get("organizationalEntity"),
            "totalShareStatistics": share_statistics(state, request),
        }]})

    @api.get("/rest/networkSizes/{urn}")
    def network_size(urn: str, request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        if request.query_params.get("edgeType") != "COMPANY_FOLLOWED_BY_COMPANY":
            return li_error(400, "Invalid param edgeType", 100, code="ILLEGAL_ARGUMENT")
        org_urn = unquote(urn)
        if not any(f"urn:li:organization:{o['id']}" == org_urn for o in state.orgs_of(g.user)):
            return li_error(403, "Not enough permissions to access: networkSizes.GET", 100)
        return JSONResponse({"firstDegreeSize": engagement.followers(org_urn)})

    @api.get("/rest/socialActions/{urn}")
    def social_actions(urn: str, request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        return JSONResponse({"target": unquote(urn), "likesSummary": {"totalLikes": 5},
                             "commentsSummary": {"aggregatedTotalComments": 1}})

    return api
