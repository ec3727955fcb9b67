"""X (Twitter) API v2 sandbox: OAuth 2.0 + PKCE (S256 checked), users/me, tweets, media upload,
public metrics, ``x-rate-limit-*`` headers, RFC 7807 errors, and webhooks signed with the consumer
secret (``x-twitter-webhooks-signature``). Facts: /work/shared/reference/platform-apis.md §1.
Switches (``/_sandbox/config``): ``code_ttl_s`` (30), ``access_ttl_s`` (7200), ``rotate_refresh`` (True),
``tweet_limit_15m`` (100), ``limits_15m`` ({"METHOD /2/path/:id": n} overrides of the per-user limits).

Like the real API: each endpoint counts calls per user in a 15-minute window (``x-rate-limit-*`` headers)
and answers 429 once the window is spent; posts carry ``edit_history_tweet_ids``; objects hold only their
default fields (post ``id, text, edit_history_tweet_ids``; user ``id, name, username``) plus those asked for
in ``tweet.fields`` / ``user.fields`` (unknown names are a 400 invalid-request); timelines honour
``since_id``, ``until_id``, ``start_time``, ``end_time``, ``exclude`` and ``pagination_token``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import unicodedata

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
    count_in_window,
    form_of,
    json_error,
    pkce_verifies,
    sandbox_app,
    stable_id,
)
from lily.local.serve import ThreadedServer

CLIENT_ID = "lily-x-client"


def _secrets() -> dict[str, str]:
    from lily.social.settings import LOCAL_APP_SECRETS

    return LOCAL_APP_SECRETS


def problem(status: int, title: str, detail: str, type_: str = "about:blank", **extra) -> JSONResponse:
    return JSONResponse(
        {"title": title, "detail": detail, "type": type_, "status": status, **extra}, status_code=status
    )


def weighted_length(text: str) -> int:
    """twitter-text v3 weighting (URLs 23, CJK/emoji 2) — the sandbox's own check, kept simple."""
    from lily.social.constraints import x_weighted_length

    return x_weighted_length(unicodedata.normalize("NFC", text))


INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
# POST /2/media/metadata: the keys of ``metadata`` (docs.x.com/x-api/media/create-media-metadata); alt text ≤ 1000
MEDIA_METADATA = frozenset(
    "allow_download_status alt_text audience_policy content_expiration domain_restrictions found_media_origin "
    "geo_restrictions management_info preview_image sensitive_media_warning shared_info sticker_info "
    "upload_source".split()
)
ALT_TEXT_MAX = 1000
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
# Per-user limits per 15-minute window [facts §1.2, §1.5, §1.7, §1.4]; other endpoints: 900.
LIMITS_15M = {
    "DELETE /2/tweets/:id": 50,
    "GET /2/tweets/:id": 900,
    "GET /2/tweets": 5000,
    "GET /2/users/:id/tweets": 900,
    "GET /2/users/me": 75,
    "POST /2/media/upload": 500,
    "POST /2/media/upload/:id/append": 1875,
    "POST /2/media/upload/:id/finalize": 1875,
    "POST /2/media/upload/initialize": 1875,
}


def endpoint_of(method: str, path: str) -> str:
    """``GET /2/users/123/tweets`` → ``GET /2/users/:id/tweets`` (X limits per endpoint, not per object)."""
    version, rest = path[:2], path[2:]  # "/2" stays
    return f"{method} {version}" + re.sub(r"/\d+(?=/|$)", "/:id", rest)


def invalid_parameter(name: str, values: list[str], allowed: frozenset[str] | None = None) -> JSONResponse:
    shown = ",".join(values)
    message = (
        f"The `{name}` query parameter value [{shown}] is not one of [{','.join(sorted(allowed))}]"
        if allowed
        else f"The `{name}` query parameter value [{shown}] is not valid"
    )
    return problem(
        400,
        "Invalid Request",
        "One or more parameters to your request was invalid.",
        INVALID_REQUEST,
        errors=[{"parameters": {name: values}, "message": message}],
    )


def requested(request: Request, name: str, allowed: frozenset[str]) -> tuple[set[str], JSONResponse | None]:
    values = [v for v in request.query_params.get(name, "").split(",") if v]
    unknown = [v for v in values if v not in allowed]
    return set(values), (invalid_parameter(name, unknown, allowed) if unknown else None)


def build(state: PlatformState | None = None):
    state = state or PlatformState(
        "x", {"code_ttl_s": 30, "access_ttl_s": 7200, "rotate_refresh": True, "tweet_limit_15m": 100,
         "limits_15m": {},
         # X returns links wrapped in t.co; not confirmed in the facts sheet, so a switch
         "wrap_urls": False}
    )

    def too_many(limit: int, reset: int) -> Response:
        return JSONResponse(
            {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
            status_code=429,
            headers={"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
        )

    def rate_limited(f: Fault) -> Response:
        return too_many(100, int(time.time()) + f.reset_s)

    def server_error() -> Response:
        return problem(503, "Service Unavailable", "Service Unavailable")

    def limit_of(endpoint: str) -> int:
        if endpoint in state.config["limits_15m"]:
            return int(state.config["limits_15m"][endpoint])
        if endpoint == "POST /2/tweets":
            return int(state.config["tweet_limit_15m"])
        return LIMITS_15M.get(endpoint, 900)

    def gate(request: Request) -> Response | None:
        """Count the call in its user's 15-minute window for the endpoint; a spent window is a 429."""
        if request.url.path.startswith("/2/oauth2/"):
            return None
        endpoint = endpoint_of(request.method, request.url.path)
        token = bearer(request) or "anonymous"
        grant = state.grant_for(token)
        limit = limit_of(endpoint)
        remaining, reset = count_in_window(state, endpoint, grant.user if grant else token, limit, 900)
        request.state.rate = (limit, max(remaining, 0), reset)
        return too_many(limit, reset) if remaining < 0 else None

    def decorate(request: Request, response: Response) -> None:
        rate = getattr(request.state, "rate", None)
        if "x-rate-limit-reset" in response.headers or rate is None:
            return
        limit, remaining, reset = rate
        response.headers["x-rate-limit-limit"] = str(limit)
        response.headers["x-rate-limit-remaining"] = str(remaining)
        response.headers["x-rate-limit-reset"] = str(reset)
        if request.url.path == "/2/tweets" and request.method == "POST":
            day_ago = time.time() - 86400
            with state.lock:
                recent = [p for p in state.posts.values() if p["created_ts"] > day_ago]
            grant = state.grant_for(bearer(request))
            mine = [p for p in recent if grant and p["owner"] == grant.user]
            reset_24h = str(int(min((p["created_ts"] for p in recent), default=time.time()) + 86400))
            for scope, lim, used in (("user", 10000, len(mine)), ("app", 10000, len(recent))):
                response.headers[f"x-{scope}-limit-24hour-limit"] = str(lim)
                response.headers[f"x-{scope}-limit-24hour-remaining"] = str(max(0, lim - used))
                response.headers[f"x-{scope}-limit-24hour-reset"] = reset_24h

    def signer(raw: bytes) -> dict[str, str]:
        mac = hmac.new(_secrets()["x_consumer_secret"].encode(), raw, hashlib.sha256).digest()
        return {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(mac).decode()}

    app = sandbox_app(
        state,
        "X sandbox",
        rate_limited=rate_limited,
        server_error=server_error,
        signer=signer,
        api_prefixes=("/2/",),
        decorate=decorate,
        gate=gate,
    )

    def user_of(request: Request):
        return state.grant_for(bearer(request))

    def unauthorized() -> JSONResponse:
        return problem(401, "Unauthorized", "Unauthorized")

    def writer(request: Request, scope: str, refusal: str):
        """``(grant, None)`` for a bearer holding ``scope``, else ``(None, the 401 or 403 X answers)``."""
        g = user_of(request)
        if g is None:
            return None, unauthorized()
        if scope not in g.scopes:
            return None, problem(403, "Forbidden", refusal)
        return g, None

    def user_view(user: str, fields: set[str]) -> dict:
        full = me(user)
        return {k: v for k, v in full.items() if k in {"id", "name", "username"} | fields}

    def tweet_view(p: dict, fields: set[str]) -> dict:
        """A post as X shows it: its default fields and the ``tweet.fields`` asked for (when it has them)."""
        full = {
            "id": p["id"],
            "text": p["text"],
            "edit_history_tweet_ids": [p["id"]],
            "created_at": p["created_at"],
            "author_id": p["author_id"],
            "conversation_id": (p.get("reply") or {}).get("conversation_id") or p["id"],
            "public_metrics": metrics(p),
            "reply_settings": "everyone",
            "lang": "en",
            "possibly_sensitive": False,
        }
        if p.get("reply"):
            full["referenced_tweets"] = [{"type": "replied_to", "id": p["reply"]["in_reply_to_tweet_id"]}]
        if (p.get("media") or {}).get("media_ids"):
            full["attachments"] = {"media_keys": [f"3_{m}" for m in p["media"]["media_ids"]]}
        return {k: v for k, v in full.items() if k in {"id", "text", "edit_history_tweet_ids"} | fields}

    def me(user: str) -> dict:
        return {
            "id": stable_id("x", user, digits=19),
            "name": user.replace("_", " ").title(),
            "username": user,
            "profile_image_url": f"https://pbs.twimg.example/profile/{user}.png",
            "public_metrics": {
                "followers_count": 42,
                "following_count": 7,
                "tweet_count": len(state.user_posts(user)),
                "listed_count": 0,
                "like_count": 0,
            },
        }

    @app.api_route("/i/oauth2/authorize", methods=["GET", "POST"])
    async def authorize(request: Request) -> Response:
        form = await form_of(request)
        if form.get("client_id") != CLIENT_ID or form.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request", "error_description": "unknown client"}, 400)
        if not form.get("code_challenge") or form.get("code_challenge_method") not in PKCE_METHODS:
            return JSONResponse({"error": "invalid_request", "error_description": "PKCE required"}, 400)

        def issue(user: str) -> str:
            return state.issue_code(
                user=user,
                client_id=form["client_id"],
                redirect_uri=form.get("redirect_uri"),
                challenge=form["code_challenge"],
                method=form["code_challenge_method"],
                scopes=form.get("scope", "").split(),
            )

        return approve_flow(request, form, issue, "Authorize Lily to use your X account")

    def client_ok(request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("basic "):
            return False
        try:
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return False
        return cid == CLIENT_ID and hmac.compare_digest(secret, _secrets()["x_client_secret"])

    @app.post("/2/oauth2/token")
    async def token(request: Request) -> Response:
        form = await form_of(request)
        if not client_ok(request):
            return json_error(
                401, {"error": "unauthorized_client", "error_description": "Missing valid authorization header"}
            )
        invalid = {
            "error": "invalid_request",
            "error_description": "Value passed for the authorization code was invalid.",
        }
        if form.get("grant_type") == "authorization_code":
            info = state.take_code(form.get("code", ""), state.config["code_ttl_s"])
            if info is None or info["redirect_uri"] != form.get("redirect_uri"):
                return json_error(400, invalid)
            if not pkce_verifies(info["challenge"], info["method"], form.get("code_verifier")):
                return json_error(
                    400,
                    {
                        "error": "invalid_request",
                        "error_description": "Value passed for the code_verifier was invalid.",
                    },
                )
            scopes = info["scopes"]
            body = state.issue_tokens(
                info["user"], CLIENT_ID, scopes, state.config["access_ttl_s"], with_refresh="offline.access" in scopes
            )
            return JSONResponse({**body, "scope": " ".join(scopes)})
        if form.get("grant_type") == "refresh_token":
            rt = form.get("refresh_token", "")
            with state.lock:
                grant = state.refresh.get(rt)
                if grant is None or grant.revoked:
                    return json_error(
                        400,
                        {"error": "invalid_request", "error_description": "Value passed for the token was invalid."},
                    )
                if state.config["rotate_refresh"]:
                    grant.revoked = True  # single use
            body = state.issue_tokens(
                grant.user,
                CLIENT_ID,
                grant.scopes,
                state.config["access_ttl_s"],
                with_refresh=state.config["rotate_refresh"],
            )
            if not state.config["rotate_refresh"]:
                body["refresh_token"] = rt
            return JSONResponse({**body, "scope": " ".join(grant.scopes)})
        return json_error(400, {"error": "unsupported_grant_type", "error_description": "unsupported grant"})

    @app.post("/2/oauth2/revoke")
    async def revoke(request: Request) -> Response:
        form = await form_of(request)
        if not client_ok(request):
            return json_error(
                401, {"error": "unauthorized_client", "error_description": "Missing valid authorization header"}
            )
        state.revoke_grant(form.get("token", ""))
        return JSONResponse({"revoked": True})

    @app.get("/2/users/me")
    def users_me(request: Request) -> Response:
        g = user_of(request)
        if g is None:
            return unauthorized()
        fields, bad = requested(request, "user.fields", USER_FIELDS)
        return bad or JSONResponse({"data": user_view(g.user, fields)})

    @app.post("/2/tweets")
    async def create(request: Request) -> Response:
        g, refused = writer(request, "tweet.write", "You are not permitted to perform this action.")
        if refused:
            return refused
        body = await request.json()
        text = body.get("text") or ""
        if weighted_length(text) > 280 or (not text and not body.get("media")):
            return problem(403, "Forbidden", "You are not permitted to perform this action.")
        if any(p["text"] == text for p in state.user_posts(g.user)):
            return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        media_ids = (body.get("media") or {}).get("media_ids") or []
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
                "author_id": me(g.user)["id"],
                "media": body.get("media"),
                "alt_texts": [state.media[str(m)].get("alt_text") for m in media_ids],
                "reply": body.get("reply"),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "created_ts": time.time(),
                "deleted": False,
            }
        return JSONResponse({"data": {"id": post_id, "text": text, "edit_history_tweet_ids": [post_id]}},
                            status_code=201)

    def metrics(post: dict) -> dict:
        return {
            "retweet_count": 1,
            "reply_count": 2,
            "like_count": 3,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 100,
        }

    @app.get("/2/tweets/{post_id}")
    def read(post_id: str, request: Request) -> Response:
        if user_of(request) is None:
            return unauthorized()
        fields, bad = requested(request, "tweet.fields", TWEET_FIELDS)
        if bad:
            return bad
        p = state.posts.get(post_id)
        if p is None or p["deleted"]:
            return problem(
                404,
                "Not Found Error",
                f"Could not find tweet with id: [{post_id}].",
                "https://api.twitter.com/2/problems/resource-not-found",
            )
        return JSONResponse({"data": tweet_view(p, fields)})

    @app.delete("/2/tweets/{post_id}")
    def delete(post_id: str, request: Request) -> Response:
        g = user_of(request)
        if g is None:
            return unauthorized()
        p = state.posts.get(post_id)
        if p is None or p["deleted"]:
            return problem(
                404, "Not Found Error", "Could not find tweet.", "https://api.twitter.com/2/problems/resource-not-found"
            )
        if p["owner"] != g.user:
            return problem(403, "Forbidden", "You are not authorized to delete this Tweet.")
        p["deleted"] = True
        return JSONResponse({"data": {"deleted": True}})

    @app.get("/2/users/{user_id}/tweets")
    def timeline(user_id: str, request: Request) -> Response:
        g = user_of(request)
        if g is None:
            return unauthorized()
        q = request.query_params
        fields, bad = requested(request, "tweet.fields", TWEET_FIELDS)
        if bad:
            return bad
        _, bad = requested(request, "expansions", EXPANSIONS)
        if bad:
            return bad
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

    @app.post("/2/media/upload")
    async def upload(request: Request) -> Response:
        g, refused = writer(request, "media.write", "media.write scope required")
        if refused:
            return refused
        form = await request.form()
        media = form.get("media")
        size = len(await media.read()) if hasattr(media, "read") else len(str(media or ""))
        if not size or not form.get("media_category"):
            return problem(
                400,
                "Invalid Request",
                "media and media_category are required",
                "https://api.twitter.com/2/problems/invalid-request",
            )
        media_id = state.next_id()
        state.media[media_id] = {"id": media_id, "owner": g.user, "size": size, "type": form.get("media_type")}
        return JSONResponse(
            {"data": {"id": media_id, "media_key": f"3_{media_id}", "size": size, "expires_after_secs": 86400}}
        )

    @app.post("/2/media/metadata")
    async def media_metadata(request: Request) -> Response:
        g, refused = writer(request, "media.write", "media.write scope required")
        if refused:
            return refused
        try:
            body = await request.json()
        except ValueError:
            body = None
        metadata = body.get("metadata") if isinstance(body, dict) else None
        media_id = str(body.get("id") or "") if isinstance(body, dict) else ""
        if not re.fullmatch(r"[0-9]{1,19}", media_id) or not isinstance(metadata, dict):
            return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                           INVALID_REQUEST, errors=[{"message": "$.id and $.metadata are required"}])
        unknown = sorted(set(metadata) - MEDIA_METADATA)
        if unknown:
            return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                           INVALID_REQUEST, errors=[{"message": f"$.metadata.{unknown[0]}: is not defined in the "
                                                                f"schema and the schema does not allow additional "
                                                                f"properties"}])
        alt = metadata.get("alt_text")
        if alt is not None and (not isinstance(alt, dict) or not isinstance(alt.get("text"), str)
                                or len(alt["text"]) > ALT_TEXT_MAX):
            return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                           INVALID_REQUEST, errors=[{"message": f"$.metadata.alt_text.text: a string of at most "
                                                                f"{ALT_TEXT_MAX} characters is required"}])
        with state.lock:
            media = state.media.get(media_id)
            if media is None or media["owner"] != g.user:
                return problem(400, "Invalid Request", "Your media IDs are invalid.", INVALID_REQUEST)
            if alt is not None:
                if not str(media.get("type") or "").startswith("image/"):  # images and GIFs only
                    return problem(400, "Invalid Request", "Alt text is only supported for images and GIFs.",
                                   INVALID_REQUEST)
                media["alt_text"] = alt["text"]
        return JSONResponse({"data": {"id": media_id, "associated_metadata": metadata}})

    return app, state


def start() -> Sandbox:
    app, state = build()
    server = ThreadedServer(app).start()
    base = server.base_url
    sandbox = Sandbox(
        name="x",
        base_url=base,
        server=server,
        env={
            "LILY_SOCIAL_X_AUTH_URL": f"{base}/i/oauth2/authorize",
            "LILY_SOCIAL_X_API_BASE": base,
        },
    )
    sandbox.state = state  # type: ignore[attr-defined]
    return sandbox
