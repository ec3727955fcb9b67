"""The Posts API: ``POST /rest/posts`` (201 + ``x-restli-id``; commentary ≤ 3000; the author must be the member
or one of their organizations, with the matching write scope), the ``author`` finder, read and delete."""

from __future__ import annotations

import time
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes.linkedin.state import LinkedInState, li_error


def shown(p: dict) -> dict:
    return {"id": p["id"], "author": p["author"], "commentary": p["commentary"], "lifecycleState": "PUBLISHED",
            "createdAt": p["created_at"]}


def router(state: LinkedInState) -> APIRouter:
    api = APIRouter()

    @api.post("/rest/posts")
    async def create(request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        body = await request.json()
        author = body.get("author", "")
        if "commentary" not in body or not author:
            return li_error(422, "/commentary :: field is required", 100)
        scope = "w_organization_social" if ":organization:" in author else "w_member_social"
        if scope not in g.scopes or not state.may_author(g, author):
            return li_error(403, "Not enough permissions to access: partnerApiPostsExternal.CREATE", 100)
        if len(body["commentary"]) > 3000:
            return li_error(422, "/commentary :: length exceeds 3000", 100)
        urn = f"urn:li:share:{state.next_id()}"
        with state.lock:
            state.posts[urn] = {
                "id": urn,
                "author": author,
                "commentary": body["commentary"],
                "owner": g.user,
                "content": body.get("content"),
                "created_at": int(time.time() * 1000),
                "deleted": False,
            }
        return Response(status_code=201, headers={"x-restli-id": urn, "x-linkedin-id": urn})

    @api.get("/rest/posts")
    def find(request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        author = request.query_params.get("author", "")
        if request.query_params.get("q") != "author" or not author:
            return li_error(400, "q=author and author are required", 100)
        if not state.may_read(g, author):
            return li_error(403, "Not enough permissions to access: partnerApiPostsExternal.FINDER-author", 100)
        with state.lock:
            items = [p for p in state.posts.values() if p["author"] == author and not p["deleted"]]
        items.sort(key=lambda p: p["created_at"], reverse=True)
        n = int(request.query_params.get("count", "10"))
        start = int(request.query_params.get("start", "0"))
        return JSONResponse({"elements": [shown(p) for p in items[start:start + n]],
                             "paging": {"count": n, "start": start, "total": len(items)}})

    @api.get("/rest/posts/{urn}")
    def read(urn: str, request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        p = state.posts.get(unquote(urn))
        if p is None or p["deleted"]:
            return li_error(404, "Not Found", 100)
        if not state.may_read(g, p["author"]):
            return li_error(403, "Not enough permissions to access: partnerApiPostsExternal.GET", 100)
        return JSONResponse(shown(p))

    @api.delete("/rest/posts/{urn}")
    def delete(urn: str, request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        p = state.posts.get(unquote(urn))
        if p is None or p["deleted"]:
            return li_error(404, "Not Found", 100)
        if not state.may_author(g, p["author"]):
            return li_error(403, "Not enough permissions", 100)
        p["deleted"] = True
        return Response(status_code=204)

    return api
