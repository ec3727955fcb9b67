"""Graph nodes and edges: ``GET|DELETE /{version}/{id}`` (Pages, IG users, containers and their status, posts)
and ``GET|POST /{version}/{id}/{edge}`` (reads in :mod:`.reads`, writes in :mod:`.publish`, comments and replies
in :mod:`.comments`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes import engagement
from lily.local.sandboxes.meta import comments, publish, reads
from lily.local.sandboxes.meta.state import MetaState, graph_error, invalid_token
from lily.local.sandboxes.oauth import bearer, form_of


def router(state: MetaState) -> APIRouter:
    api = APIRouter()

    @api.get("/{version}/{obj_id}")
    def read(version: str, obj_id: str, request: Request) -> Response:
        g = state.grant_for(bearer(request))
        if g is None:
            return invalid_token()
        fields = request.query_params.get("fields", "id")
        page = state.owned(g, obj_id)
        if page and obj_id == page["id"]:
            out: dict = {"id": page["id"], "name": page["name"]}
            if "followers_count" in fields:
                out["followers_count"] = engagement.followers(page["id"])
            if "instagram_business_account" in fields:
                ig = page["ig"]
                out["instagram_business_account"] = {
                    "id": ig["id"],
                    "username": ig["username"],
                    "name": ig["name"],
                    "profile_picture_url": f"https://scontent.example/{ig['id']}.jpg",
                }
            return JSONResponse(out)
        if page:
            ig = page["ig"]
            out = {"id": ig["id"], "username": ig["username"], "name": ig["name"]}
            if "followers_count" in fields:
                out["followers_count"] = engagement.followers(ig["id"])
            return JSONResponse(out)
        with state.lock:
            container = state.media.get(obj_id)
            post = state.posts.get(obj_id)
        if container is not None:
            return container_status(obj_id, container)
        if post is None or post["deleted"]:
            return graph_error(400, f"Unsupported get request. Object with ID '{obj_id}' does not exist", 100, 33)
        out = {"id": post["id"], "created_time": post["created_time"], "timestamp": post["created_time"]}
        for k in ("message", "caption", "permalink", "permalink_url"):
            if k in post:
                out[k] = post[k]
        return JSONResponse(out)

    def container_status(obj_id: str, container: dict) -> JSONResponse:
        if state.expired(container):
            container["status_code"] = "EXPIRED"
        if container["status_code"] == "EXPIRED":
            return JSONResponse({"id": obj_id, "status_code": "EXPIRED",
                                 "status": "Expired: the container was not published within 24 hours"})
        if container["polls_left"] > 0:
            container["polls_left"] -= 1
            return JSONResponse({"id": obj_id, "status_code": "IN_PROGRESS", "status": "In Progress"})
        return JSONResponse({"id": obj_id, "status_code": container["status_code"], "status": "Finished"})

    @api.delete("/{version}/{obj_id}")
    def delete(version: str, obj_id: str, request: Request) -> Response:
        g = state.grant_for(bearer(request))
        if g is None:
            return invalid_token()
        post = state.posts.get(obj_id)
        if post is None or post["deleted"]:
            return graph_error(400, f"Object with ID '{obj_id}' does not exist", 100, 33)
        if post["platform"] == "instagram":
            return graph_error(400, "Unsupported delete request.", 100)
        if state.owned(g, post["account_id"]) is None:
            return graph_error(403, "(#200) Permissions error", 200)
        post["deleted"] = True
        return JSONResponse({"success": True})

    @api.api_route("/{version}/{obj_id}/{edge}", methods=["GET", "POST"])
    async def edge(version: str, obj_id: str, edge: str, request: Request) -> Response:
        form = await form_of(request)
        g = state.grant_for(bearer(request) or form.get("access_token"))
        if g is None:
            return invalid_token()
        if request.method == "GET" and edge == "insights" and obj_id in state.posts:
            post = state.posts[obj_id]
            if post["deleted"]:
                return graph_error(400, "Object does not exist", 100, 33)
            return reads.insights(post, [m for m in form.get("metric", "").split(",") if m])
        if comments.handles(state, obj_id, edge):
            return comments.edge(state, g, obj_id, edge, request.method, form)
        if request.method == "GET" and edge == "insights" and state.owned(g, obj_id) is None:
            return graph_error(400, "Object does not exist", 100, 33)
        page = state.owned(g, obj_id)
        if page is None:
            return graph_error(403, "(#200) Permissions error", 200)
        is_ig = obj_id == page["ig"]["id"]
        if request.method == "GET":
            if edge not in (reads.IG_USER_EDGES if is_ig else reads.PAGE_EDGES):
                return reads.nonexisting(edge, "IGUser" if is_ig else "Page")
            if edge == "content_publishing_limit":
                return reads.publishing_limit(state, obj_id, form)
            return reads.edge_list(state, obj_id, is_ig)
        if not g.extra.get("page_id"):
            return graph_error(403, "(#200) Requires a Page access token", 200)
        if edge == "feed" and not is_ig:
            return publish.page_feed(state, g, obj_id, form)
        if edge == "photos" and not is_ig:
            return publish.page_photo(state, g, obj_id, form)
        if edge == "media" and is_ig:
            return publish.ig_container(state, obj_id, form)
        if edge == "media_publish" and is_ig:
            return publish.ig_publish(state, g, obj_id, form)
        return graph_error(400, f"Unsupported {request.method.lower()} request.", 100)

    return api
