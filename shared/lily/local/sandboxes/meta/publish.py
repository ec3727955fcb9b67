"""What a POST on a Page or IG user edge does: a Page's ``feed`` and ``photos``, and Instagram's container flow
(``media`` creates a container, ``media_publish`` publishes a FINISHED one within its lifetime and the quota)."""

from __future__ import annotations

import re

from fastapi.responses import JSONResponse

from lily.core import clock
from lily.local.sandboxes.kit import Grant
from lily.local.sandboxes.meta.state import MetaState, graph_error


def page_feed(state: MetaState, g: Grant, page_id: str, form: dict) -> JSONResponse:
    if not form.get("message") and not form.get("link"):
        return graph_error(400, "(#100) Missing message or attachment", 100)
    if any(p.get("message") == form.get("message") for p in state.user_posts(g.user) if p["account_id"] == page_id):
        return graph_error(400, "(#506) Duplicate status message", 506)
    post = state.new_post("fb", page_id, g.user, message=form.get("message", ""), link=form.get("link"))
    post["permalink_url"] = f"https://www.facebook.com/{post['id']}"
    return JSONResponse({"id": post["id"]})


def page_photo(state: MetaState, g: Grant, page_id: str, form: dict) -> JSONResponse:
    photo_id = state.next_id()
    if form.get("published") == "false":
        state.media[photo_id] = {"kind": "photo", "status_code": "FINISHED", "polls_left": 0}
        return JSONResponse({"id": photo_id})
    post = state.new_post("fb", page_id, g.user, message=form.get("caption", ""), url=form.get("url"))
    return JSONResponse({"id": photo_id, "post_id": post["id"]})


def ig_container(state: MetaState, ig_id: str, form: dict) -> JSONResponse:
    caption = form.get("caption", "")
    tags = len(re.findall(r"(?:^|\s)#\w", caption))
    if tags > int(state.config["ig_hashtag_limit"]) or len(caption) > 2200:
        return graph_error(400, "The caption is too long or has too many hashtags.", 100, 2207035)
    if not (form.get("image_url") or form.get("video_url") or form.get("media_type") == "CAROUSEL"):
        return graph_error(400, "Media url is required", 100, 2207052)
    cid = state.next_id("178")
    state.media[cid] = {
        "kind": "container",
        "created_ts": clock.now_ts(),
        "owner": ig_id,
        "caption": caption,
        "media_type": form.get("media_type", "IMAGE"),
        "image_url": form.get("image_url"),
        "alt_text": form.get("alt_text"),
        "status_code": "FINISHED",
        "polls_left": int(state.config["container_polls"]),
    }
    return JSONResponse({"id": cid})


def ig_publish(state: MetaState, g: Grant, ig_id: str, form: dict) -> JSONResponse:
    container = state.media.get(form.get("creation_id", ""))
    if container is None or container.get("owner") != ig_id:
        return graph_error(400, "Media ID is not available", 9007, 2207006)
    if state.expired(container):
        container["status_code"] = "EXPIRED"
        return graph_error(400, "The media container has expired.", 9007, 2207020,
                           error_user_title="Media expired",
                           error_user_msg="The media was not published within 24 hours of its creation.")
    if container["polls_left"] > 0 or container["status_code"] != "FINISHED":
        return graph_error(400, "Media ID is not available", 9007, 2207027)
    quota = int(state.config["ig_publish_quota"])
    if state.published_since(ig_id, clock.now_ts() - 86400) >= quota:
        err = state.config["quota_error"]
        return graph_error(400, "Application request limit reached", int(err["code"]), int(err["subcode"]),
                           is_transient=False, error_user_title="Maximum number of posts reached",
                           error_user_msg=f"You have reached the maximum of {quota} posts that can be "
                           "published via the API in a 24-hour period.")
    container["status_code"] = "PUBLISHED"
    post = state.new_post("ig", ig_id, g.user, caption=container["caption"], media_url=container.get("image_url"),
                          alt_text=container.get("alt_text"))
    post["permalink"] = f"https://www.instagram.com/p/{post['id'][-11:]}/"
    return JSONResponse({"id": post["id"]})
