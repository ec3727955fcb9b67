"""``GET /2/users/{id}/mentions``: the posts that mention a user, newest first, with ``since_id``, ``until_id``,
``max_results`` (5–100), ``pagination_token``, ``start_time``/``end_time``, ``tweet.fields``, ``expansions``
(``author_id`` adds ``includes.users``) and ``user.fields``, as X answers its timelines
(https://docs.x.com/x-api/posts/user-mention-timeline-by-user-id). A sandbox post mentions a user when it was
made with ``POST /_sandbox/engagement`` for that account (a mention, comment or reply)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes.oauth import bearer
from lily.local.sandboxes.x.problems import requested, unauthorized
from lily.local.sandboxes.x.state import XState
from lily.local.sandboxes.x.tweets import EXPANSIONS, TWEET_FIELDS, USER_FIELDS, timeline_filters, tweet_view


def router(state: XState) -> APIRouter:
    api = APIRouter()

    @api.get("/2/users/{user_id}/mentions")
    def mentions(user_id: str, request: Request) -> Response:
        if state.grant_for(bearer(request)) is None:
            return unauthorized()
        q = request.query_params
        fields, bad = requested(request, "tweet.fields", TWEET_FIELDS)
        expansions, bad_exp = requested(request, "expansions", EXPANSIONS)
        user_fields, bad_user = requested(request, "user.fields", USER_FIELDS)
        if bad or bad_exp or bad_user:
            return bad or bad_exp or bad_user
        filters = timeline_filters(q)
        if isinstance(filters, JSONResponse):
            return filters
        n, times, _ = filters
        with state.lock:
            items = [p for p in state.posts.values() if user_id in (p.get("mentions") or []) and not p["deleted"]]
        items.sort(key=lambda p: int(p["id"]), reverse=True)
        keep = [p for p in items
                if (not q.get("since_id") or int(p["id"]) > int(q["since_id"]))
                and (not q.get("until_id") or int(p["id"]) < int(q["until_id"]))
                and ("start_time" not in times or p["created_ts"] >= times["start_time"])
                and ("end_time" not in times or p["created_ts"] <= times["end_time"])
                and (not q.get("pagination_token") or int(p["id"]) < int(q["pagination_token"]))]
        page = keep[:n]
        data = [tweet_view(p, fields) for p in page]
        meta: dict = {"result_count": len(data)}
        if data:
            meta |= {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"]}
        if len(keep) > n:
            meta["next_token"] = page[-1]["id"]
        body: dict = {"data": data, "meta": meta} if data else {"meta": meta}
        if data and "author_id" in expansions:
            users = {p["author_id"]: p for p in page}
            body["includes"] = {"users": [
                {k: v for k, v in {"id": uid, "name": (p.get("author_name") or uid).replace("_", " ").title(),
                                   "username": p.get("author_name") or uid}.items()
                 if k in {"id", "name", "username"} | user_fields} for uid, p in users.items()]}
        return JSONResponse(body)

    return api
