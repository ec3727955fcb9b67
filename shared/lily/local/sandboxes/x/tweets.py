"""Users and posts: ``GET /2/users/me``, ``POST /2/tweets`` (weighted length ≤ 280, duplicate text refused,
media the user uploaded, ``reply.in_reply_to_tweet_id`` naming a post that exists), ``GET|DELETE /2/tweets/{id}``,
``GET /2/users/{id}/tweets`` (the timeline)."""

from __future__ import annotations

import re
import time
import unicodedata

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lily.core import clock
from lily.local.sandboxes import engagement
from lily.local.sandboxes.kit import stable_id
from lily.local.sandboxes.oauth import bearer
from lily.local.sandboxes.x.problems import (
    INVALID_REQUEST,
    NOT_FOUND,
    invalid_parameter,
    problem,
    requested,
    unauthorized,
    writer,
)
from lily.local.sandboxes.x.state import XState

TWEET_FIELDS = frozenset(
    "article attachments author_id card_uri community_id context_annotations conversation_id created_at "
    "display_text_range edit_controls edit_history_tweet_ids entities geo id in_reply_to_user_id lang "
    "media_metadata non_public_metrics note_tweet organic_metrics possibly_sensitive promoted_metrics "
    "public_metrics referenced_tweets reply_settings scopes source suggested_source_links text withheld".split()
)
USER_FIELDS = frozenset(
    "affiliation connection_status created_at description entities id location most_recent_tweet_id name "
    "pinned_tweet_id profile_banner_url profile_image_url protected public_metrics receives_your_dm "
    "subscription_type url username verified verified_type withheld".split()
)
EXPANSIONS = frozenset(
    "article.cover_media article.media_entities attachments.media_keys attachments.media_source_tweet "
    "attachments.poll_ids author_id edit_history_tweet_ids entities.mentions.username geo.place_id "
    "in_reply_to_user_id entities.note.mentions.username referenced_tweets.id referenced_tweets.id.author_id".split()
)
FORBIDDEN = "You are not permitted to perform this action."


def public_metrics(p: dict) -> dict[str, int]:
    """Counts that grow with the post's age (lily.local.sandboxes.engagement)."""
    c = engagement.counts(p["id"], engagement.iso_ts(p["created_at"]))
    return {"retweet_count": c["shares"], "reply_count": c["comments"], "like_count": c["likes"], "quote_count": 0,
            "bookmark_count": c["clicks"], "impression_count": c["impressions"]}


def weighted_length(text: str) -> int:
    """twitter-text v3 weighting (URLs 23, CJK/emoji 2) — the sandbox's own check, kept simple."""
    from lily.social.constraints import x_weighted_length

    return x_weighted_length(unicodedata.normalize("NFC", text))


def tweet_view(p: dict, fields: set[str]) -> dict:
    """A post as X shows it: its default fields and the ``tweet.fields`` asked for (when it has them)."""
    full = {
        "id": p["id"],
        "text": p["text"],
        "edit_history_tweet_ids": [p["id"]],
        "created_at": p["created_at"],
        "author_id": p["author_id"],
        "conversation_id": (p.get("reply") or {}).get("conversation_id") or p["id"],
        "public_metrics": public_metrics(p),
        "reply_settings": "everyone",
        "lang": "en",
        "possibly_sensitive": False,
    }
    if p.get("reply"):
        full["referenced_tweets"] = [{"type": "replied_to", "id": p["reply"]["in_reply_to_tweet_id"]}]
    if (p.get("media") or {}).get("media_ids"):
        full["attachments"] = {"media_keys": [f"3_{m}" for m in p["media"]["media_ids"]]}
    return {k: v for k, v in full.items() if k in {"id", "text", "edit_history_tweet_ids"} | fields}


def timeline_filters(q) -> tuple[int, dict[str, float], list[str]] | JSONResponse:
    """``(max_results, start/end times, exclude)`` from a timeline query, or the 400 X answers."""
    try:
        n = int(q.get("max_results", "10"))
        if not 5 <= n <= 100:
            raise ValueError
    except ValueError:
        return invalid_parameter("max_results", [q.get("max_results", "")])
    for name in ("since_id", "until_id", "pagination_token"):
        if q.get(name) and not q[name].isdigit():
            return invalid_parameter(name, [q[name]])
    times = {}
    for name in ("start_time", "end_time"):
        if q.get(name):
            try:
                times[name] = clock.parse_iso(q[name]).timestamp()
            except ValueError:
                return invalid_parameter(name, [q[name]])
    exclude = [v for v in q.get("exclude", "").split(",") if v]
    if set(exclude) - {"replies", "retweets"}:
        return invalid_parameter("exclude", exclude, frozenset({"replies", "retweets"}))
    return n, times, exclude


REPLY_FIELDS = frozenset({"in_reply_to_tweet_id", "exclude_reply_user_ids", "auto_populate_reply_metadata"})


def reply_refusal(state: XState, reply: object) -> JSONResponse | None:
    """What X answers to a ``reply`` object it refuses: not an object of its fields (``additionalProperties:
    false``), an id that is not ``^[0-9]{1,19}$``, or a post that does not exist or was deleted."""
    if reply is None:
        return None
    if not isinstance(reply, dict) or set(reply) - REPLY_FIELDS or "in_reply_to_tweet_id" not in reply:
        return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                       INVALID_REQUEST, errors=[{"message": "$.reply: is not a valid reply object"}])
    answered = str(reply["in_reply_to_tweet_id"])
    if not re.fullmatch(r"[0-9]{1,19}", answered):
        return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                       INVALID_REQUEST, errors=[{"message": f"$.reply.in_reply_to_tweet_id: does not match the "
                                                            f"regex pattern ^[0-9]{{1,19}}$ [{answered}]"}])
    p = state.posts.get(answered)
    if p is None or p["deleted"]:
        return problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible to you.")
    return None


def router(state: XState) -> APIRouter:
    api = APIRouter()

    @api.get("/2/users/me")
    def users_me(request: Request) -> Response:
        g = state.grant_for(bearer(request))
        if g is None:
            return unauthorized()
        fields, bad = requested(request, "user.fields", USER_FIELDS)
        full = state.profile(g.user)
        return bad or JSONResponse({"data": {k: v for k, v in full.items()
                                             if k in {"id", "name", "username"} | fields}})

    @api.post("/2/tweets")
    async def create(request: Request) -> Response:
        g, refused = writer(state, request, "tweet.write", FORBIDDEN)
        if refused:
            return refused
        body = await request.json()
        text = body.get("text") or ""
        if weighted_length(text) > 280 or (not text and not body.get("media")):
            return problem(403, "Forbidden", FORBIDDEN)
        if any(p["text"] == text for p in state.user_posts(g.user)):
            return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        media_ids = (body.get("media") or {}).get("media_ids") or []
        refused = reply_refusal(state, body.get("reply"))
        if refused:
            return refused
        if any((state.media.get(str(m)) or {}).get("owner") != g.user for m in media_ids):
            return problem(400, "Invalid Request", "Your media IDs are invalid.", INVALID_REQUEST)
        post_id = state.next_id()
        if state.config.get("wrap_urls"):
            text = re.sub(r"https?://\S+", lambda m: "https://t.co/" + stable_id("tco", m.group(0), digits=10), text)
        with state.lock:
            state.posts[post_id] = {
                "id": post_id,
                "text": text,
                "owner": g.user,
                "author_id": state.profile(g.user)["id"],
                "media": body.get("media"),
                "alt_texts": [state.media[str(m)].get("alt_text") for m in media_ids],
                "reply": body.get("reply"),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(clock.now_ts())),
                "created_ts": clock.now_ts(),  # Lily's clock (tests move it), as the timeline filters use
                "deleted": False,
            }
        return JSONResponse({"data": {"id": post_id, "text": text, "edit_history_tweet_ids": [post_id]}},
                            status_code=201)

    @api.get("/2/tweets/{post_id}")
    def read(post_id: str, request: Request) -> Response:
        if state.grant_for(bearer(request)) is None:
            return unauthorized()
        fields, bad = requested(request, "tweet.fields", TWEET_FIELDS)
        if bad:
            return bad
        p = state.posts.get(post_id)
        if p is None or p["deleted"]:
            return problem(404, "Not Found Error", f"Could not find tweet with id: [{post_id}].", NOT_FOUND)
        return JSONResponse({"data": tweet_view(p, fields)})

    @api.delete("/2/tweets/{post_id}")
    def delete(post_id: str, request: Request) -> Response:
        g = state.grant_for(bearer(request))
        if g is None:
            return unauthorized()
        p = state.posts.get(post_id)
        if p is None or p["deleted"]:
            return problem(404, "Not Found Error", "Could not find tweet.", NOT_FOUND)
        if p["owner"] != g.user:
            return problem(403, "Forbidden", "You are not authorized to delete this Tweet.")
        p["deleted"] = True
        return JSONResponse({"data": {"deleted": True}})

    @api.get("/2/users/{user_id}/tweets")
    def timeline(user_id: str, request: Request) -> Response:
        if state.grant_for(bearer(request)) is None:
            return unauthorized()
        q = request.query_params
        fields, bad = requested(request, "tweet.fields", TWEET_FIELDS)
        if bad:
            return bad
        _, bad = requested(request, "expansions", EXPANSIONS)
        if bad:
            return bad
        filters = timeline_filters(q)
        if isinstance(filters, JSONResponse):
            return filters
        n, times, exclude = filters
        with state.lock:
            items = [p for p in state.posts.values() if p["author_id"] == user_id and not p["deleted"]]
        items.sort(key=lambda p: int(p["id"]), reverse=True)
        keep = [
            p for p in items
            if (not q.get("since_id") or int(p["id"]) > int(q["since_id"]))
            and (not q.get("until_id") or int(p["id"]) < int(q["until_id"]))
            and ("start_time" not in times or p["created_ts"] >= times["start_time"])
            and ("end_time" not in times or p["created_ts"] <= times["end_time"])
            and not ("replies" in exclude and p.get("reply"))
        ]
        if q.get("pagination_token"):  # the token is the id to continue below
            keep = [p for p in keep if int(p["id"]) < int(q["pagination_token"])]
        page = keep[:n]
        data = [tweet_view(p, fields) for p in page]
        meta: dict = {"result_count": len(data)}
        if data:
            meta |= {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"]}
        if len(keep) > n:
            meta["next_token"] = page[-1]["id"]
        return JSONResponse({"data": data, "meta": meta} if data else {"meta": meta})

    return api
