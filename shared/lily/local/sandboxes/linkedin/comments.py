"""The socialActions comments API: ``POST /rest/socialActions/{post or comment URN}/comments`` and ``GET`` of the
same path (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api; facts
§3.5 names the socialActions API).

As LinkedIn does: the versioned ``/rest`` headers are required (:meth:`LinkedInState.rest_guard`); the body needs
``actor``, ``object`` and ``message.text`` (422 naming the field); the actor must be the member or one of their
organizations, with the matching write scope (403); the thread must exist (404); on a comment URN the body's
``parentComment`` must be that comment (a nested comment), and ``object`` the post the thread belongs to (400).
A created comment answers 201 with the comment (``id``, ``commentUrn``, ``$URN``) and ``x-restli-id``.
Comments made by ``POST /_sandbox/engagement`` are here too, so Lily's replies have something to answer."""

from __future__ import annotations

import time
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes.linkedin.state import LinkedInState, li_error


def add(state: LinkedInState, post: str, actor: str, text: str, parent: str | None = None,
        urn: str | None = None) -> dict:
    cid = state.next_id()
    urn = urn or f"urn:li:comment:({post},{cid})"
    c = {"id": urn.rsplit(",", 1)[-1].rstrip(")"), "commentUrn": urn, "$URN": urn, "actor": actor, "object": post,
         "message": {"text": text}, "created": {"time": int(time.time() * 1000), "actor": actor},
         "thread": parent or post}
    if parent:
        c["parentComment"] = parent
    with state.lock:
        state.comments[urn] = c
    return c


def _post_of(comment_urn: str) -> str:
    return comment_urn[len("urn:li:comment:("):].rsplit(",", 1)[0]


def router(state: LinkedInState) -> APIRouter:
    api = APIRouter()

    def thread(urn: str) -> tuple[str, dict | None] | None:
        """(the post, the comment answered or None) for an existing thread, else None."""
        if urn in state.comments:
            return state.comments[urn]["object"], state.comments[urn]
        known = urn in state.posts or any(c["object"] == urn for c in state.comments.values())
        return (urn, None) if known and not (state.posts.get(urn) or {}).get("deleted") else None

    @api.post("/rest/socialActions/{urn}/comments")
    async def create(urn: str, request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        urn = unquote(urn)
        body = await request.json()
        for field in ("actor", "object"):
            if not body.get(field):
                return li_error(422, f"/{field} :: field is required", 100)
        text = (body.get("message") or {}).get("text") if isinstance(body.get("message"), dict) else None
        if not text:
            return li_error(422, "/message/text :: field is required", 100)
        scope = "w_organization_social" if ":organization:" in body["actor"] else "w_member_social"
        if scope not in g.scopes or not state.may_author(g, body["actor"]):
            return li_error(403, "Not enough permissions to access: socialActions.comments.CREATE", 100)
        found = thread(urn)
        if found is None:
            return li_error(404, f"Not Found: {urn}", 100)
        post, parent = found
        if parent is not None and body.get("parentComment") != urn:
            return li_error(400, "/parentComment :: must be the comment in the path for a nested comment", 100)
        if parent is None and body.get("parentComment"):
            return li_error(400, "/parentComment :: a nested comment is created on its parent comment's path", 100)
        if body["object"] != post:
            return li_error(400, f"/object :: must be the post the comment thread belongs to ({post})", 100)
        c = add(state, post, body["actor"], text, parent=urn if parent is not None else None)
        c["owner"] = g.user
        return JSONResponse({k: v for k, v in c.items() if k not in ("thread", "owner")}, status_code=201,
                            headers={"x-restli-id": c["id"]})

    @api.get("/rest/socialActions/{urn}/comments")
    def read(urn: str, request: Request) -> Response:
        g, err = state.rest_guard(request)
        if err:
            return err
        urn = unquote(urn)
        if thread(urn) is None:
            return li_error(404, f"Not Found: {urn}", 100)
        with state.lock:
            items = [c for c in state.comments.values() if c["thread"] == urn]
        items.sort(key=lambda c: c["created"]["time"], reverse=True)
        n, start = int(request.query_params.get("count", "10")), int(request.query_params.get("start", "0"))
        return JSONResponse({"elements": [{k: v for k, v in c.items() if k not in ("thread", "owner")}
                                          for c in items[start:start + n]],
                             "paging": {"count": n, "start": start, "total": len(items)}})

    return api
