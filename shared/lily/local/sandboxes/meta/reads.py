"""What a GET on the Graph answers beyond nodes: a post's insights (retired metrics refused, the whole request
failing), an IG user's ``content_publishing_limit``, and the ``nonexisting field`` error for other edges."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from lily.core import clock
from lily.local.sandboxes import engagement
from lily.local.sandboxes.meta.state import MetaState, graph_error

# IG media insights [facts §2.6]: current metrics, and the retired ones (asking for one fails the request).
IG_MEDIA_METRICS = (
    "views", "reach", "likes", "comments", "saved", "shares", "total_interactions", "follows", "profile_visits",
    "profile_activity", "navigation", "replies", "ig_reels_avg_watch_time", "ig_reels_video_view_total_time",
    "total_likes", "total_comments", "total_views",
)
IG_RETIRED_METRICS = frozenset({"impressions", "plays", "clips_replays_count", "ig_reels_aggregated_all_plays_count",
                                "video_views"})
# Edges a GET may read here (account insights are not modelled: the sandbox treats them as absent).
IG_USER_EDGES = frozenset({"media", "content_publishing_limit"})
PAGE_EDGES = frozenset({"feed", "posts", "published_posts"})


def retired_page_metric(name: str) -> bool:
    """Page/post impressions metrics were retired on 2025-11-15; ``page_fans`` became ``page_follows``."""
    return "impressions" in name or name.startswith("page_fans")


def nonexisting(edge: str, node: str) -> JSONResponse:
    return graph_error(400, f"(#100) Tried accessing nonexisting field ({edge}) on node type ({node})", 100)


def insights(post: dict, names: list[str]) -> JSONResponse:
    if not names:
        return graph_error(400, "(#100) The parameter metric is required", 100)
    for i, name in enumerate(names):
        if post["platform"] == "instagram" and name not in IG_MEDIA_METRICS:
            if name in IG_RETIRED_METRICS:
                return graph_error(
                    400,
                    f"(#100) Starting from version 22 and above, the {name} metric is no longer supported. "
                    "Please refer to the documentation for a list of supported metrics.",
                    100,
                )
            return graph_error(
                400, f"(#100) metric[{i}] must be one of the following values: {', '.join(IG_MEDIA_METRICS)}", 100
            )
        if post["platform"] == "facebook" and retired_page_metric(name):
            return graph_error(400, "(#100) The value must be a valid insights metric", 100)
    grown = engagement.counts(post["id"], engagement.iso_ts(post["created_time"]))
    return JSONResponse({"data": [
        {"name": n, "period": "lifetime", "values": [{"value": _value(n, grown, i)}], "title": n,
         "id": f"{post['id']}/insights/{n}/lifetime"}
        for i, n in enumerate(names)
    ]})


# Which grown count each insight reports (lily.local.sandboxes.engagement); others keep a fixed small value.
_GROWN = {"views": "impressions", "post_total_media_view_unique": "impressions", "likes": "likes",
          "post_reactions_like_total": "likes", "comments": "comments", "shares": "shares", "post_clicks": "clicks"}


def _value(name: str, grown: dict[str, int], i: int) -> int:
    if name == "reach":
        return int(grown["impressions"] * 0.8)
    return grown[_GROWN[name]] if name in _GROWN else 10 + i


def publishing_limit(state: MetaState, ig_id: str, form: dict) -> JSONResponse:
    fields = [f for f in form.get("fields", "quota_usage").split(",") if f]
    for f in fields:
        if f not in ("quota_usage", "config"):
            return nonexisting(f, "ContentPublishingLimitResponse")
    window = float(86400)
    since = clock.now_ts() - window
    if form.get("since"):
        try:
            asked = float(form["since"])
        except ValueError:
            return graph_error(400, "(#100) Param since must be a unix timestamp", 100)
        if asked < since:
            return graph_error(400, "(#100) Param since must be within the last 24 hours", 100)
        since = asked
    item: dict = {}
    if "quota_usage" in fields:
        item["quota_usage"] = state.published_since(ig_id, since)
    if "config" in fields:
        item["config"] = {"quota_total": int(state.config["ig_publish_quota"]), "quota_duration": int(window)}
    return JSONResponse({"data": [item]})


def edge_list(state: MetaState, obj_id: str, is_ig: bool) -> JSONResponse:
    """An account's posts, newest first (25)."""
    with state.lock:
        items = [p for p in state.posts.values() if p["account_id"] == obj_id and not p["deleted"]]
    items.sort(key=lambda p: p["created_time"] + p["id"], reverse=True)
    keep = ("id", "caption", "permalink", "timestamp") if is_ig else ("id", "message", "created_time", "permalink_url")
    return JSONResponse({"data": [{k: p[k] for k in keep if k in p} for p in items[:25]]})
