"""X (Twitter) API v2 sandbox: OAuth 2.0 + PKCE (S256 checked), users/me, tweets, media upload,
public metrics, ``x-rate-limit-*`` headers, RFC 7807 errors, and webhooks signed with the consumer
secret (``x-twitter-webhooks-signature``). Facts: /work/shared/reference/platform-apis.md §1.
Switches (``/_sandbox/config``): ``code_ttl_s`` (30), ``access_ttl_s`` (7200), ``rotate_refresh`` (True),
``tweet_limit_15m`` (100).
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

from lily.local.sandboxes import Sandbox
from lily.local.sandboxes._platform_kit import (
    Fault,
    PlatformState,
    approve_flow,
    bearer,
    form_of,
    json_error,
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


def build(state: PlatformState | None = None):
    state = state or PlatformState(
        "x", {"code_ttl_s": 30, "access_ttl_s": 7200, "rotate_refresh": True, "tweet_limit_15m": 100,
         # X returns links wrapped in t.co; not confirmed in the facts sheet, so a switch
         "wrap_urls": False}
    )

    def rate_limited(f: Fault) -> Response:
        reset = int(time.time()) + f.reset_s
        return JSONResponse(
            {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
            status_code=429,
            headers={"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
        )

    def server_error() -> Response:
        return problem(503, "Service Unavailable", "Service Unavailable")

    def decorate(request: Request, response: Response) -> None:
        if "x-rate-limit-reset" in response.headers:
            return
        window = 900
        reset = (int(time.time()) // window + 1) * window
        limit = state.config["tweet_limit_15m"] if request.url.path == "/2/tweets" else 900
        used = sum(1 for m, p in state.calls if p == request.url.path and m == request.method)
        response.headers["x-rate-limit-limit"] = str(limit)
        response.headers["x-rate-limit-remaining"] = str(max(0, limit - used))
        response.headers["x-rate-limit-reset"] = str(reset)
        if request.url.path == "/2/tweets" and request.method == "POST":
            day = (int(time.time()) // 86400 + 1) * 86400
            for scope, lim in (("user", 10000), ("app", 10000)):
                response.headers[f"x-{scope}-limit-24hour-limit"] = str(lim)
                response.headers[f"x-{scope}-limit-24hour-remaining"] = str(max(0, lim - used))
                response.headers[f"x-{scope}-limit-24hour-reset"] = str(day)

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
    )

    def user_of(request: Request):
        return state.grant_for(bearer(request))

    def unauthorized() -> JSONResponse:
        return problem(401, "Unauthorized", "Unauthorized")

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
        if not form.get("code_challenge") or form.get("code_challenge_method") not in ("S256", "plain"):
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
            verifier = form.get("code_verifier", "")
            if info["method"] == "S256":
                expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            else:
                expected = verifier
            if not verifier or not hmac.compare_digest(expected, info["challenge"]):
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
        return JSONResponse({"data": me(g.user)})

    @app.post("/2/tweets")
    async def create(request: Request) -> Response:
        g = user_of(request)
        if g is None:
            return unauthorized()
        if "tweet.write" not in g.scopes:
            return problem(403, "Forbidden", "You are not permitted to perform this action.")
        body = await request.json()
        text = body.get("text") or ""
        if weighted_length(text) > 280 or (not text and not body.get("media")):
            return problem(403, "Forbidden", "You are not permitted to perform this action.")
        if any(p["text"] == text for p in state.user_posts(g.user)):
            return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
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
                "reply": body.get("reply"),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "deleted": False,
            }
        return JSONResponse({"data": {"id": post_id, "text": text}}, status_code=201)

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
        p = state.posts.get(post_id)
        if p is None or p["deleted"]:
            return problem(
                404,
                "Not Found Error",
                f"Could not find tweet with id: [{post_id}].",
                "https://api.twitter.com/2/problems/resource-not-found",
            )
        data = {"id": p["id"], "text": p["text"], "created_at": p["created_at"], "author_id": p["author_id"]}
        if "public_metrics" in request.query_params.get("tweet.fields", ""):
            data["public_metrics"] = metrics(p)
        return JSONResponse({"data": data})

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
        with state.lock:
            items = [p for p in state.posts.values() if p["author_id"] == user_id and not p["deleted"]]
        items.sort(key=lambda p: p["id"], reverse=True)
        q = request.query_params
        try:
            n = int(q.get("max_results", "10"))
            if not 5 <= n <= 100:
                raise ValueError
        except ValueError:
            return problem(400, "Invalid Request", "The `max_results` query parameter value is not between 5 and 100")
        if q.get("start_time"):  # RFC 3339; the sandbox stores created_at in the same format
            items = [p for p in items if p["created_at"] >= q["start_time"]]
        if q.get("pagination_token"):  # the token is the id to continue below
            items = [p for p in items if int(p["id"]) < int(q["pagination_token"])]
        page = items[:n]
        data = [{"id": p["id"], "text": p["text"], "created_at": p["created_at"]} for p in page]
        meta: dict = {"result_count": len(data)}
        if data:
            meta |= {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"]}
        if len(items) > n:
            meta["next_token"] = page[-1]["id"]
        return JSONResponse({"data": data, "meta": meta} if data else {"meta": meta})

    @app.post("/2/media/upload")
    async def upload(request: Request) -> Response:
        g = user_of(request)
        if g is None:
            return unauthorized()
        if "media.write" not in g.scopes:
            return problem(403, "Forbidden", "media.write scope required")
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
