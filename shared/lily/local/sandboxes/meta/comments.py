"""Comments on the Graph: Facebook ``POST|GET /{post-id}/comments`` and ``/{comment-id}/comments`` (a reply), and
Instagram ``POST|GET /{ig-media-id}/comments`` and ``/{ig-comment-id}/replies`` (facts §2.4; Graph references
``/{object-id}/comments``, ``ig-media/comments``, ``ig-comment/replies``).

As Graph does: writing needs a Page token and a non-empty ``message`` (``(#100)``); an Instagram comment is answered
on ``/replies`` only (``/comments`` on it is an unsupported request), and a reply cannot be answered again; a
missing object is ``(#100) ... does not exist`` (subcode 33). Comments read back with the ``fields`` asked for
(defaults: Facebook ``created_time,from,message,id``; Instagram ``id,text,timestamp``). Comments made by
``POST /_sandbox/engagement`` are here too, so Lily's replies have something to answer."""

from __future__ import annotations

import time

from fastapi.responses import JSONResponse

from lily.core import clock
from lily.local.sandboxes.kit import Grant
from lily.local.sandboxes.meta.state import MetaState, graph_error

FB_DEFAULT = ("created_time", "from", "message", "id")
IG_DEFAULT = ("id", "text", "timestamp")


def add(state: MetaState, platform: str, on: str, post_id: str | None, author: dict, text: str,
        comment_id: str | None = None) -> dict:
    """Store a comment on ``on`` (a post or media, or a comment it answers)."""
    cid = comment_id or (state.next_id("178") if platform == "instagram"
                         else f"{(post_id or on).split('_')[-1]}_{state.next_id()}")
    c = {"id": cid, "platform": platform, "on": on, "post_id": post_id, "from": author, "message": text,
         "created_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(clock.now_ts())),
         "created_ts": clock.now_ts(), "deleted": False}
    with state.lock:
        state.comments[cid] = c
    return c


def _unsupported(method: str, obj_id: str) -> JSONResponse:
    return graph_error(400, f"Unsupported {method.lower()} request. Object with ID '{obj_id}' does not exist, "
                            "cannot be loaded due to missing permissions, or does not support this operation", 100, 33)


def handles(state: MetaState, obj_id: str, edge: str) -> bool:
    return edge in ("comments", "replies") and (obj_id in state.posts or obj_id in state.comments)


def edge(state: MetaState, g: Grant, obj_id: str, edge: str, method: str, form: dict) -> JSONResponse:
    post = state.posts.get(obj_id)
    parent = state.comments.get(obj_id)
    target = post or parent
    if target is None or target["deleted"]:
        return _unsupported(method, obj_id)
    platform = target["platform"]
    # Instagram: media take /comments, comments take /replies; Facebook: both take /comments
    allowed = ("comments" if post else "replies") if platform == "instagram" else "comments"
    if edge != allowed or (platform == "instagram" and parent and parent["on"] in state.comments):
        return _unsupported(method, obj_id)
    if method == "GET":
        asked = [f for f in form.get("fields", "").split(",") if f] or list(
            IG_DEFAULT if platform == "instagram" else FB_DEFAULT)
        with state.lock:
            found = [c for c in state.comments.values() if c["on"] == obj_id and not c["deleted"]]
        if form.get("order") == "reverse_chronological":
            found.reverse()
        return JSONResponse({"data": [_shown(c, asked) for c in found[:int(form.get("limit") or 25)]]})
    if not g.extra.get("page_id"):
        return graph_error(403, "(#200) Requires a Page access token", 200)
    message = (form.get("message") or "").strip()
    if not message:
        return graph_error(400, "(#100) The parameter message is required", 100)
    page = next(p for p in state.pages_of(g.user) if p["id"] == g.extra["page_id"])
    author = ({"id": page["ig"]["id"], "username": page["ig"]["username"]} if platform == "instagram"
              else {"id": page["id"], "name": page["name"]})
    c = add(state, platform, obj_id, target.get("post_id") or target["id"], author, message)
    c["owner"] = g.user
    return JSONResponse({"id": c["id"]})


def _shown(c: dict, fields: list[str]) -> dict:
    full = {"id": c["id"], "message": c["message"], "text": c["message"], "from": c["from"],
            "created_time": c["created_time"], "timestamp": c["created_time"],
            "username": c["from"].get("username")}
    return {k: full[k] for k in fields if k in full}
