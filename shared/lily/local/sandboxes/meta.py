"""Meta Graph API sandbox: Facebook Login dialog, code → short-lived → long-lived user token,
``/me/accounts`` Page tokens, Pages with linked Instagram Business accounts, Page feed/photos,
the Instagram container flow (create → status → media_publish), reads, insights, delete,
``X-App-Usage`` / ``X-Business-Use-Case-Usage`` headers, Graph error bodies, and webhooks signed with
``X-Hub-Signature-256``. Facts: /work/shared/reference/platform-apis.md §2.
Switches: ``code_ttl_s`` (600), ``pages_per_user`` (2), ``throttle_code`` (4), ``ig_hashtag_limit`` (30),
``container_polls`` (0: containers are FINISHED at once; n: IN_PROGRESS for n status reads),
``container_ttl_s`` (86400), ``ig_publish_quota`` (50 per 24 h; older docs said 25, some say 100),
``quota_error`` ({"code": 9, "subcode": 2207042}: the quota-reached error, UNVERIFIED).
Every sandbox user owns ``pages_per_user`` Pages, each linked to an Instagram Business account.

As Graph does: the access token may come in the header, the query or a form body; ``GET`` answers only the
edges a node has (``(#100) Tried accessing nonexisting field``); ``content_publishing_limit`` answers
``quota_usage`` (and ``config`` when asked); insights refuse retired metrics (IG ``impressions``, ``plays``,
``video_views``…; Page ``*impressions*``, ``page_fans``) and fail the whole request; IG containers expire
(``EXPIRED``, subcode 2207020) ``container_ttl_s`` after creation; ``media_publish`` past the quota fails.
Time comes from ``lily.core.clock`` (tests move it with ``clock.advance``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import time

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from lily.core import clock
from lily.local.sandboxes import Sandbox
from lily.local.sandboxes._platform_kit import (
    PKCE_METHODS,
    Fault,
    PlatformState,
    approve_flow,
    bearer,
    form_of,
    pkce_verifies,
    sandbox_app,
    stable_id,
)
from lily.local.serve import ThreadedServer

APP_ID = "lily-meta-app"


def _secret() -> str:
    from lily.social.settings import LOCAL_APP_SECRETS

    return LOCAL_APP_SECRETS["meta_app_secret"]


def graph_error(
    status: int,
    message: str,
    code: int,
    subcode: int | None = None,
    type_: str = "OAuthException",
    headers: dict | None = None,
    **extra,
) -> JSONResponse:
    err = {"message": message, "type": type_, "code": code, "fbtrace_id": "AbCdEfSandbox", **extra}
    if subcode:
        err["error_subcode"] = subcode
    return JSONResponse({"error": err}, status_code=status, headers=headers)


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


def build(state: PlatformState | None = None):
    state = state or PlatformState(
        "meta",
        {"code_ttl_s": 600, "pages_per_user": 2, "throttle_code": 4, "ig_hashtag_limit": 30, "container_polls": 0,
         "container_ttl_s": 86400, "ig_publish_quota": 50, "quota_error": {"code": 9, "subcode": 2207042}},
    )

    def pages_of(user: str) -> list[dict]:
        out = []
        for i in range(1, int(state.config["pages_per_user"]) + 1):
            pid = stable_id("page", user, str(i), digits=15)
            out.append(
                {
                    "id": pid,
                    "name": f"{user.title()} Page {i}",
                    "ig": {
                        "id": stable_id("ig", user, str(i), digits=17),
                        "username": f"{user}_insta{i}",
                        "name": f"{user.title()} Insta {i}",
                    },
                }
            )
        return out

    def usage_headers(pct: int = 5, regain_min: int = 0, business_id: str = "0") -> dict[str, str]:
        return {
            "x-app-usage": json.dumps({"call_count": pct, "total_time": pct, "total_cputime": pct}),
            "x-business-use-case-usage": json.dumps(
                {
                    business_id: [
                        {
                            "type": "pages",
                            "call_count": pct,
                            "total_cputime": pct,
                            "total_time": pct,
                            "estimated_time_to_regain_access": regain_min,
                        }
                    ]
                }
            ),
        }

    def rate_limited(f: Fault) -> Response:
        code = int(state.config["throttle_code"])
        messages = {
            4: "(#4) Application request limit reached",
            17: "(#17) User request limit reached",
            32: "(#32) Page request limit reached",
            613: "(#613) Calls to this api have exceeded the rate limit.",
        }
        return graph_error(
            400 if code != 613 else 400,
            messages.get(code, "rate limited"),
            code,
            is_transient=True,
            headers=usage_headers(100, math.ceil(f.reset_s / 60)),
        )

    def server_error() -> Response:
        return graph_error(500, "An unknown error has occurred.", 1, type_="OAuthException", is_transient=True)

    def decorate(request: Request, response: Response) -> None:
        for k, v in usage_headers(min(99, len(state.calls) % 100)).items():
            response.headers.setdefault(k, v)

    def signer(raw: bytes) -> dict[str, str]:
        return {"X-Hub-Signature-256": "sha256=" + hmac.new(_secret().encode(), raw, hashlib.sha256).hexdigest()}

    app = sandbox_app(
        state,
        "Meta Graph sandbox",
        rate_limited=rate_limited,
        server_error=server_error,
        signer=signer,
        api_prefixes=("/v",),
        decorate=decorate,
    )

    def invalid_token() -> JSONResponse:
        return graph_error(400, "Error validating access token: Session has expired.", 190, 463)

    def page_token(user: str, page: dict) -> str:
        """One stable Page token per (user, page) grant generation."""
        with state.lock:
            for tok, g in state.access.items():
                if g.extra.get("page_id") == page["id"] and g.user == user and g.live():
                    return tok
        return state.issue_tokens(
            user, APP_ID, [], None, with_refresh=False, page_id=page["id"], ig_id=page["ig"]["id"]
        )["access_token"]

    @app.api_route("/{version}/dialog/oauth", methods=["GET", "POST"])
    async def dialog(version: str, request: Request) -> Response:
        form = await form_of(request)
        if form.get("client_id") != APP_ID:
            return graph_error(400, "Invalid App ID", 101)

        # PKCE (Facebook Login's manual flow): a code_challenge binds the code to the code_verifier
        # the token exchange must then present.
        challenge, method = form.get("code_challenge"), form.get("code_challenge_method", "plain")
        if challenge and method not in PKCE_METHODS:
            return graph_error(400, "Invalid code_challenge_method", 100)

        def issue(user: str) -> str:
            return state.issue_code(
                user=user,
                redirect_uri=form.get("redirect_uri"),
                scopes=[s for s in form.get("scope", "").split(",") if s],
                challenge=challenge,
                method=method,
            )

        return approve_flow(request, form, issue, "Log in with Facebook")

    @app.get("/{version}/oauth/access_token")
    def access_token(version: str, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != APP_ID or not hmac.compare_digest(q.get("client_secret", ""), _secret()):
            return graph_error(400, "Error validating client secret.", 1, 404078)
        if q.get("grant_type") == "fb_exchange_token":
            g = state.grant_for(q.get("fb_exchange_token"))
            if g is None:
                return invalid_token()
            return JSONResponse(
                state.issue_tokens(g.user, APP_ID, g.scopes, 5183944, with_refresh=False, long_lived=True)
            )
        info = state.take_code(q.get("code", ""), state.config["code_ttl_s"])
        if info is None:
            return graph_error(400, "This authorization code has been used.", 100, 36009)
        if info["redirect_uri"] != q.get("redirect_uri"):
            return graph_error(
                400,
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request",
                100,
                36008,
            )
        if info.get("challenge") and not pkce_verifies(info["challenge"], info["method"], q.get("code_verifier")):
            return graph_error(400, "Invalid code verifier.", 100)  # message UNVERIFIED
        return JSONResponse(state.issue_tokens(info["user"], APP_ID, info["scopes"], 5400, with_refresh=False))

    @app.get("/{version}/debug_token")
    def debug_token(version: str, request: Request) -> Response:
        if request.query_params.get("access_token") != f"{APP_ID}|{_secret()}":
            return graph_error(400, "Invalid OAuth access token.", 190)
        tok = request.query_params.get("input_token", "")
        g = state.access.get(tok)
        data = {
            "app_id": APP_ID,
            "is_valid": bool(g and g.live()),
            "type": "PAGE" if g and g.extra.get("page_id") else "USER",
            "application": "Lily",
            "scopes": g.scopes if g else [],
            "user_id": stable_id("user", g.user) if g else None,
            "expires_at": int(g.expires_at) if g and g.expires_at else 0,
        }
        return JSONResponse({"data": data})

    @app.get("/{version}/me")
    def me(version: str, request: Request) -> Response:
        g = state.grant_for(bearer(request))
        if g is None:
            return invalid_token()
        if g.extra.get("page_id"):
            page = next(p for p in pages_of(g.user) if p["id"] == g.extra["page_id"])
            return JSONResponse({"id": page["id"], "name": page["name"]})
        return JSONResponse({"id": stable_id("user", g.user), "name": g.user.title()})

    @app.get("/{version}/me/accounts")
    def accounts(version: str, request: Request) -> Response:
        g = state.grant_for(bearer(request))
        if g is None:
            return invalid_token()
        if "pages_show_list" not in g.scopes:
            return graph_error(403, "(#10) Requires pages_show_list permission", 10, type_="OAuthException")
        data = [
            {
                "id": p["id"],
                "name": p["name"],
                "category": "Bakery",
                "access_token": page_token(g.user, p),
                "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"],
                "picture": {"data": {"url": f"https://scontent.example/{p['id']}.jpg"}},
            }
            for p in pages_of(g.user)
        ]
        return JSONResponse({"data": data, "paging": {"cursors": {"before": "QVFIU", "after": "QVFIU"}}})

    def owned(g, obj_id: str) -> dict | None:
        """The page (or IG account) ``obj_id`` when the token may act on it."""
        for p in pages_of(g.user):
            if g.extra.get("page_id") and g.extra["page_id"] != p["id"]:
                continue
            if obj_id in (p["id"], p["ig"]["id"]):
                return p
        return None

    def new_post(kind: str, owner_id: str, user: str, **fields) -> dict:
        post_id = f"{owner_id}_{state.next_id()}" if kind == "fb" else state.next_id("179")
        post = {
            "id": post_id,
            "platform": "facebook" if kind == "fb" else "instagram",
            "owner": user,
            "account_id": owner_id,
            "created_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
            "created_ts": clock.now_ts(),
            "deleted": False,
            **fields,
        }
        with state.lock:
            state.posts[post_id] = post
        return post

    @app.get("/{version}/{obj_id}")
    def read(version: str, obj_id: str, request: Request) -> Response:
        g = state.grant_for(bearer(request))
        if g is None:
            return invalid_token()
        fields = request.query_params.get("fields", "id")
        page = owned(g, obj_id)
        if page and obj_id == page["id"]:
            out: dict = {"id": page["id"], "name": page["name"]}
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
            return JSONResponse({"id": ig["id"], "username": ig["username"], "name": ig["name"]})
        with state.lock:
            container = state.media.get(obj_id)
            post = state.posts.get(obj_id)
        if container is not None:
            if expired(container):
                container["status_code"] = "EXPIRED"
            if container["status_code"] == "EXPIRED":
                return JSONResponse({"id": obj_id, "status_code": "EXPIRED",
                                     "status": "Expired: the container was not published within 24 hours"})
            if container["polls_left"] > 0:
                container["polls_left"] -= 1
                return JSONResponse({"id": obj_id, "status_code": "IN_PROGRESS", "status": "In Progress"})
            return JSONResponse({"id": obj_id, "status_code": container["status_code"], "status": "Finished"})
        if post is None or post["deleted"]:
            return graph_error(400, f"Unsupported get request. Object with ID '{obj_id}' does not exist", 100, 33)
        out = {"id": post["id"], "created_time": post["created_time"], "timestamp": post["created_time"]}
        for k in ("message", "caption", "permalink", "permalink_url"):
            if k in post:
                out[k] = post[k]
        return JSONResponse(out)

    @app.delete("/{version}/{obj_id}")
    def delete(version: str, obj_id: str, request: Request) -> Response:
        g = state.grant_for(bearer(request))
        if g is None:
            return invalid_token()
        post = state.posts.get(obj_id)
        if post is None or post["deleted"]:
            return graph_error(400, f"Object with ID '{obj_id}' does not exist", 100, 33)
        if post["platform"] == "instagram":
            return graph_error(400, "Unsupported delete request.", 100)
        if owned(g, post["account_id"]) is None:
            return graph_error(403, "(#200) Permissions error", 200)
        post["deleted"] = True
        return JSONResponse({"success": True})

    def expired(container: dict) -> bool:
        return container.get("kind") == "container" and container["status_code"] != "PUBLISHED" and (
            clock.now_ts() >= container["created_ts"] + float(state.config["container_ttl_s"])
        )

    def published_since(ig_id: str, since: float) -> int:
        with state.lock:
            return sum(1 for p in state.posts.values() if p["account_id"] == ig_id and p.get("created_ts", 0) > since)

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
        return JSONResponse(
            {
                "data": [
                    {
                        "name": n,
                        "period": "lifetime",
                        "values": [{"value": 10 + i}],
                        "title": n,
                        "id": f"{post['id']}/insights/{n}/lifetime",
                    }
                    for i, n in enumerate(names)
                ]
            }
        )

    def publishing_limit(ig_id: str, form: dict) -> JSONResponse:
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
            item["quota_usage"] = published_since(ig_id, since)
        if "config" in fields:
            item["config"] = {"quota_total": int(state.config["ig_publish_quota"]), "quota_duration": int(window)}
        return JSONResponse({"data": [item]})

    @app.api_route("/{version}/{obj_id}/{edge}", methods=["GET", "POST"])
    async def edge(version: str, obj_id: str, edge: str, request: Request) -> Response:
        form = await form_of(request)
        g = state.grant_for(bearer(request) or form.get("access_token"))
        if g is None:
            return invalid_token()
        if request.method == "GET" and edge == "insights" and obj_id in state.posts:
            post = state.posts[obj_id]
            if post["deleted"]:
                return graph_error(400, "Object does not exist", 100, 33)
            return insights(post, [m for m in form.get("metric", "").split(",") if m])
        if request.method == "GET" and edge == "insights" and owned(g, obj_id) is None:
            return graph_error(400, "Object does not exist", 100, 33)
        page = owned(g, obj_id)
        if page is None:
            return graph_error(403, "(#200) Permissions error", 200)
        is_ig = obj_id == page["ig"]["id"]
        if request.method == "GET" and edge not in (IG_USER_EDGES if is_ig else PAGE_EDGES):
            return nonexisting(edge, "IGUser" if is_ig else "Page")
        if request.method == "GET" and edge == "content_publishing_limit":
            return publishing_limit(obj_id, form)
        if request.method == "GET":
            with state.lock:
                items = [p for p in state.posts.values() if p["account_id"] == obj_id and not p["deleted"]]
            items.sort(key=lambda p: p["created_time"] + p["id"], reverse=True)
            keep = (
                ("id", "caption", "permalink", "timestamp")
                if is_ig
                else ("id", "message", "created_time", "permalink_url")
            )
            return JSONResponse({"data": [{k: p[k] for k in keep if k in p} for p in items[:25]]})
        if not g.extra.get("page_id"):
            return graph_error(403, "(#200) Requires a Page access token", 200)
        if edge == "feed" and not is_ig:
            if not form.get("message") and not form.get("link"):
                return graph_error(400, "(#100) Missing message or attachment", 100)
            if any(
                p.get("message") == form.get("message") for p in state.user_posts(g.user) if p["account_id"] == obj_id
            ):
                return graph_error(400, "(#506) Duplicate status message", 506)
            post = new_post("fb", obj_id, g.user, message=form.get("message", ""), link=form.get("link"))
            post["permalink_url"] = f"https://www.facebook.com/{post['id']}"
            return JSONResponse({"id": post["id"]})
        if edge == "photos" and not is_ig:
            photo_id = state.next_id()
            if form.get("published") == "false":
                state.media[photo_id] = {"kind": "photo", "status_code": "FINISHED", "polls_left": 0}
                return JSONResponse({"id": photo_id})
            post = new_post("fb", obj_id, g.user, message=form.get("caption", ""), url=form.get("url"))
            return JSONResponse({"id": photo_id, "post_id": post["id"]})
        if edge == "media" and is_ig:
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
                "owner": obj_id,
                "caption": caption,
                "media_type": form.get("media_type", "IMAGE"),
                "image_url": form.get("image_url"),
                "alt_text": form.get("alt_text"),
                "status_code": "FINISHED",
                "polls_left": int(state.config["container_polls"]),
            }
            return JSONResponse({"id": cid})
        if edge == "media_publish" and is_ig:
            container = state.media.get(form.get("creation_id", ""))
            if container is None or container.get("owner") != obj_id:
                return graph_error(400, "Media ID is not available", 9007, 2207006)
            if expired(container):
                container["status_code"] = "EXPIRED"
                return graph_error(400, "The media container has expired.", 9007, 2207020,
                                   error_user_title="Media expired",
                                   error_user_msg="The media was not published within 24 hours of its creation.")
            if container["polls_left"] > 0 or container["status_code"] != "FINISHED":
                return graph_error(400, "Media ID is not available", 9007, 2207027)
            quota = int(state.config["ig_publish_quota"])
            if published_since(obj_id, clock.now_ts() - 86400) >= quota:
                err = state.config["quota_error"]
                return graph_error(400, "Application request limit reached", int(err["code"]), int(err["subcode"]),
                                   is_transient=False, error_user_title="Maximum number of posts reached",
                                   error_user_msg=f"You have reached the maximum of {quota} posts that can be "
                                   "published via the API in a 24-hour period.")
            container["status_code"] = "PUBLISHED"
            post = new_post("ig", obj_id, g.user, caption=container["caption"], media_url=container.get("image_url"),
                            alt_text=container.get("alt_text"))
            post["permalink"] = f"https://www.instagram.com/p/{post['id'][-11:]}/"
            return JSONResponse({"id": post["id"]})
        return graph_error(400, f"Unsupported {request.method.lower()} request.", 100)

    return app, state


def start() -> Sandbox:
    app, state = build()
    server = ThreadedServer(app).start()
    base = server.base_url
    sandbox = Sandbox(
        name="meta",
        base_url=base,
        server=server,
        env={
            "LILY_SOCIAL_META_DIALOG_BASE": base,
            "LILY_SOCIAL_META_GRAPH_BASE": base,
        },
    )
    sandbox.state = state  # type: ignore[attr-defined]
    return sandbox
