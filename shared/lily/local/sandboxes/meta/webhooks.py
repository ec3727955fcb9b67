"""The webhook changes Meta sends when someone comments on, replies in or mentions a Page or an Instagram account:
Page ``feed`` (``item: comment``) and ``mention`` (https://developers.facebook.com/docs/graph-api/webhooks/reference/page),
Instagram ``comments`` and ``mentions`` (https://developers.facebook.com/docs/instagram-platform/webhooks), in the
``{"object", "entry": [{"id", "time", "changes": [{"field", "value"}]}]}`` envelope (facts §2.8: UNVERIFIED)."""

from __future__ import annotations

from typing import Any

from lily.core import clock
from lily.local.sandboxes.controls import Engagement
from lily.local.sandboxes.meta import comments
from lily.local.sandboxes.meta.state import MetaState


def engagement(state: MetaState, e: Engagement) -> dict[str, Any]:
    at = int(clock.now_ts())
    if e.platform == "instagram":
        obj, change = "instagram", _instagram(state, e)
    else:
        obj, change = "page", _page(state, e, at)
    return {"object": obj, "entry": [{"id": e.account_id, "time": at, "changes": [change]}]}


def _page(state: MetaState, e: Engagement, at: int) -> dict[str, Any]:
    post = e.post_id or f"{e.account_id}_{state.next_id()}"
    if e.kind == "mention":
        return {"field": "mention", "value": {"post_id": f"{e.author_id}_{state.next_id()}", "item": "post",
                                              "verb": "add", "sender_id": e.author_id, "sender_name": e.author_name,
                                              "message": e.text, "created_time": at}}
    parent = (e.parent_id or f"{post.split('_')[-1]}_{state.next_id()}") if e.kind == "reply" else post
    made = comments.add(state, "facebook", parent, post, {"id": e.author_id, "name": e.author_name}, e.text)
    return {"field": "feed", "value": {
        "from": {"id": e.author_id, "name": e.author_name}, "item": "comment", "verb": "add",
        "comment_id": made["id"], "post_id": post, "parent_id": parent,
        "message": e.text, "created_time": at, "post": {"id": post, "status_type": "added_photos"}}}


def _instagram(state: MetaState, e: Engagement) -> dict[str, Any]:
    media = e.post_id or state.next_id("179")
    comment = state.next_id("178")
    on = (e.parent_id or media) if e.kind == "reply" else media
    if e.kind != "mention":
        comments.add(state, "instagram", on, media, {"id": e.author_id, "username": e.author_name}, e.text, comment)
    if e.kind == "mention":
        return {"field": "mentions", "value": {"media_id": media, "comment_id": comment}}
    value: dict[str, Any] = {"from": {"id": e.author_id, "username": e.author_name}, "id": comment, "text": e.text,
                             "media": {"id": media, "media_product_type": "FEED"}}
    if e.kind == "reply":
        value["parent_id"] = on
    return {"field": "comments", "value": value}
