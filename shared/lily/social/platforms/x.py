"""X (Twitter) API v2: OAuth 2.0 with PKCE, users/me, tweets, v2 media upload, public metrics.

Facts: the X API v2 documentation, https://docs.x.com (source: https://github.com/xdevplatform/docs, e.g.
``x-api/fundamentals/rate-limits.mdx``) and its OpenAPI document (https://api.x.com/2/openapi.json).
Confidential client: token, refresh and revoke use HTTP Basic ``client_id:client_secret``. Refresh tokens rotate
(single use). Errors are RFC 7807 Problems; rate limits come in ``x-rate-limit-{limit,remaining,reset}`` (epoch
seconds).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import httpx

from lily.core import clock
from lily.social.platforms.base import (
    Account,
    CommentOn,
    Credentials,
    ErrorKind,
    PlatformAdapter,
    PlatformError,
    PlatformHttp,
    PostMetrics,
    PostPayload,
    PublishResult,
    RateLimit,
    TokenSet,
    json_or_empty,
    matches,
    scopes_of,
    status_kind,
)
from lily.social.settings import app_secrets, social_settings

LOOKUP_MAX_PAGES = 10  # 1,000 posts back: X timelines hold the newest 3,200
ALT_TEXT_MAX = 1000  # POST /2/media/metadata alt_text.text (docs.x.com/x-api/media/create-media-metadata)


def read_rate_limit(resp: httpx.Response) -> RateLimit | None:
    h = resp.headers
    if "x-rate-limit-reset" not in h and "x-user-limit-24hour-reset" not in h:
        return None

    def _int(name: str) -> int | None:
        try:
            return int(h[name]) if name in h else None
        except ValueError:
            return None

    limit, remaining, reset = (_int("x-rate-limit-limit"), _int("x-rate-limit-remaining"), _int("x-rate-limit-reset"))
    # The 24-hour posting caps bite first when exhausted.
    for scope in ("user", "app"):
        rem24 = _int(f"x-{scope}-limit-24hour-remaining")
        if rem24 is not None and rem24 <= 0:
            limit, remaining = _int(f"x-{scope}-limit-24hour-limit"), rem24
            reset = _int(f"x-{scope}-limit-24hour-reset")
    return RateLimit(limit=limit, remaining=remaining, reset_at=float(reset) if reset else None)


def classify(resp: httpx.Response) -> PlatformError:
    body = json_or_empty(resp)
    status = resp.status_code
    # Token endpoint: {"error": "invalid_grant", "error_description": ...}
    if isinstance(body.get("error"), str):
        code = body["error"]
        kind = (
            ErrorKind.AUTH_EXPIRED
            if code in ("invalid_grant", "invalid_token", "invalid_request") and status in (400, 401)
            else status_kind(status)
        )
        if code in ("unauthorized_client", "invalid_client"):
            kind = ErrorKind.PERMISSION
        return PlatformError(kind, "x", body.get("error_description") or code, status=status, platform_code=code)
    problem_type = str(body.get("type") or "")
    detail = str(body.get("detail") or body.get("title") or "")
    if not detail and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        detail = str(first.get("message") or first.get("detail") or "")
    slug = problem_type.rsplit("/", 1)[-1] if "/problems/" in problem_type else None
    rl = read_rate_limit(resp)
    if status == 429 or slug == "usage-capped":
        reset = rl.reset_at if rl and rl.reset_at else clock.now_ts() + 900
        return PlatformError(
            ErrorKind.RATE_LIMITED,
            "x",
            detail or "rate limited",
            status=status,
            platform_code=slug or "too-many-requests",
            reset_at=reset,
        )
    if status == 403 and "duplicate content" in detail.lower():
        return PlatformError(ErrorKind.VALIDATION, "x", detail, status=status, platform_code="duplicate")
    kind = status_kind(status)
    if slug in ("invalid-request", "resource-not-found", "disallowed-resource"):
        kind = ErrorKind.VALIDATION
    elif slug in ("not-authorized-for-resource", "not-authorized-for-field", "client-forbidden"):
        kind = ErrorKind.PERMISSION
    elif slug == "unsupported-authentication":
        kind = ErrorKind.AUTH_EXPIRED
    elif slug == "resource-unavailable":
        kind = ErrorKind.TRANSIENT
    return PlatformError(kind, "x", detail or f"X answered {status}", status=status, platform_code=slug)


class XAdapter(PlatformAdapter):
    platform = "x"
    uses_pkce = True
    rotates_refresh_tokens = True

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self.s = social_settings()
        self.http = PlatformHttp("x", self.s.x_api_base, classify, self.s.http_timeout_s, transport=transport)

    def _basic(self) -> dict[str, str]:
        raw = f"{self.s.x_client_id}:{app_secrets()['x_client_secret']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def _tokens(self, body: dict, previous: TokenSet | None = None) -> TokenSet:
        expires_in = body.get("expires_in")
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token") or (previous.refresh_token if previous else None),
            expires_at=clock.now_ts() + float(expires_in) if expires_in else None,
            scopes=scopes_of(body.get("scope")) or (previous.scopes if previous else []),
        )

    # --- OAuth
    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        query = {
            "response_type": "code",
            "client_id": self.s.x_client_id,
            "redirect_uri": redirect_uri,
            "scope": self.s.x_scopes,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.s.x_auth_url}?{urlencode(query, quote_via=quote)}"

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        resp = self.http.request(
            "POST",
            "/2/oauth2/token",
            headers=self._basic(),
            data={
                "code": code,
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier or "",
            },
        )
        return self._tokens(resp.json())

    def refresh(self, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            raise PlatformError(ErrorKind.AUTH_EXPIRED, "x", "no refresh token (offline.access not granted)")
        resp = self.http.request(
            "POST",
            "/2/oauth2/token",
            headers=self._basic(),
            data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
        )
        return self._tokens(resp.json(), tokens)

    def revoke(self, tokens: TokenSet) -> bool:
        for token in (tokens.refresh_token, tokens.access_token):
            if token:
                self.http.request("POST", "/2/oauth2/revoke", headers=self._basic(), data={"token": token})
        return True

    def _me(self, token: str) -> dict:
        resp = self.http.request(
            "GET", "/2/users/me", token=token, params={"user.fields": "profile_image_url,public_metrics"}
        )
        return resp.json()["data"]

    def accounts(self, tokens: TokenSet) -> list[Account]:
        me = self._me(tokens.access_token)
        return [
            Account(
                account_id=me["id"],
                kind="user",
                name=me.get("name") or me["username"],
                handle=me.get("username"),
                avatar_url=me.get("profile_image_url"),
            )
        ]

    def validate(self, creds: Credentials) -> None:
        self._me(creds.access_token)

    # --- publishing
    def publish(self, creds: Credentials, post: PostPayload) -> PublishResult:
        body: dict = {"text": post.text}
        if post.media_ids:
            body["media"] = {"media_ids": post.media_ids[:4]}
            for media_id, alt in zip(post.media_ids[:4], post.media_alt_texts, strict=False):
                if alt:  # attached to the uploaded media before the post names it (images and GIFs)
                    self.http.request("POST", "/2/media/metadata", token=creds.access_token,
                                      json={"id": media_id, "metadata": {"alt_text": {"text": alt[:ALT_TEXT_MAX]}}})
        if post.reply_to:
            body["reply"] = {"in_reply_to_tweet_id": post.reply_to}
        resp = self.http.request(
            "POST", "/2/tweets", token=creds.access_token, json=body, ambiguous_on_timeout=True, expect=(200, 201)
        )
        self.http.last_rate_limit = read_rate_limit(resp)
        post_id = resp.json()["data"]["id"]
        return PublishResult(platform_post_id=post_id, url=self.post_url(creds, post_id))

    @staticmethod
    def post_url(creds: Credentials, post_id: str) -> str:
        return f"https://x.com/{creds.handle or 'i'}/status/{post_id}"

    def lookup(
        self, creds: Credentials, *, marker: str | None = None, text: str | None = None, since: float | None = None
    ) -> PublishResult | None:
        params: dict = {"max_results": 100, "tweet.fields": "created_at", "exclude": "replies,retweets"}
        if since:
            params["start_time"] = clock.iso(datetime.fromtimestamp(since, tz=UTC))
        # Page back through everything posted since ``since``, so a busy account cannot hide the post.
        for _ in range(LOOKUP_MAX_PAGES):
            resp = self.http.request("GET", f"/2/users/{creds.account_id}/tweets", token=creds.access_token,
                                     params=params)
            body = resp.json()
            for tweet in body.get("data") or []:
                if matches(tweet.get("text"), marker, text):
                    return PublishResult(platform_post_id=tweet["id"], url=self.post_url(creds, tweet["id"]))
            next_token = (body.get("meta") or {}).get("next_token")
            if not next_token:
                return None
            params["pagination_token"] = next_token
        raise PlatformError(ErrorKind.TRANSIENT, "x", "lookup did not reach the start of the window")

    def delete(self, creds: Credentials, platform_post_id: str) -> bool:
        try:
            resp = self.http.request("DELETE", f"/2/tweets/{platform_post_id}", token=creds.access_token)
        except PlatformError as exc:
            if exc.platform_status == 404:
                return False
            raise
        return bool((resp.json().get("data") or {}).get("deleted"))

    def metrics(self, creds: Credentials, platform_post_id: str) -> PostMetrics:
        resp = self.http.request(
            "GET", f"/2/tweets/{platform_post_id}", token=creds.access_token, params={"tweet.fields": "public_metrics"}
        )
        pm = (resp.json().get("data") or {}).get("public_metrics") or {}
        return PostMetrics(
            platform_post_id=platform_post_id,
            impressions=pm.get("impression_count"),
            likes=pm.get("like_count"),
            comments=pm.get("reply_count"),
            shares=(pm.get("retweet_count") or 0) + (pm.get("quote_count") or 0),
            raw=pm,
        )

    def followers(self, creds: Credentials) -> int | None:
        # User.public_metrics.followers_count of GET /2/users/me (reference/platform-apis.md §1.2)
        resp = self.http.request("GET", "/2/users/me", token=creds.access_token,
                                 params={"user.fields": "public_metrics"})
        return ((resp.json().get("data") or {}).get("public_metrics") or {}).get("followers_count")

    def upload_media(self, creds: Credentials, data: bytes, media_type: str) -> str:
        category = (
            "tweet_gif"
            if media_type == "image/gif"
            else ("tweet_video" if media_type.startswith("video/") else "tweet_image")
        )
        resp = self.http.request(
            "POST",
            "/2/media/upload",
            token=creds.access_token,
            files={"media": ("media", data, media_type)},
            data={"media_category": category, "media_type": media_type},
        )
        return resp.json()["data"]["id"]

    # --- comments: X has none; a comment is a reply post (POST /2/tweets with reply.in_reply_to_tweet_id)
    def comment(self, creds: Credentials, on: CommentOn, text: str) -> PublishResult:
        return self.publish(creds, PostPayload(text=text, reply_to=on.comment_id or on.post_id))

    def find_comment(self, creds: Credentials, on: CommentOn, text: str, since: float | None) -> PublishResult | None:
        """The account's reply to ``on`` with ``text``: its timeline with replies, since ``since``."""
        answered = on.comment_id or on.post_id
        params: dict = {"max_results": 100, "tweet.fields": "created_at,referenced_tweets"}
        if since:
            params["start_time"] = clock.iso(datetime.fromtimestamp(since, tz=UTC))
        for _ in range(LOOKUP_MAX_PAGES):
            resp = self.http.request("GET", f"/2/users/{creds.account_id}/tweets", token=creds.access_token,
                                     params=params)
            body = resp.json()
            for tweet in body.get("data") or []:
                refs = {r.get("id") for r in tweet.get("referenced_tweets") or [] if r.get("type") == "replied_to"}
                if answered in refs and matches(tweet.get("text"), None, text):
                    return PublishResult(platform_post_id=tweet["id"], url=self.post_url(creds, tweet["id"]))
            next_token = (body.get("meta") or {}).get("next_token")
            if not next_token:
                return None
            params["pagination_token"] = next_token
        raise PlatformError(ErrorKind.TRANSIENT, "x", "lookup did not reach the start of the window")

    def mentions(self, creds: Credentials, since_id: str | None) -> list[dict]:
        """Posts mentioning the account newer than ``since_id``, oldest first (GET /2/users/:id/mentions): for the
        mentions poller. Without ``since_id``, the newest page only."""
        params: dict = {"max_results": 100, "tweet.fields": "created_at,author_id,referenced_tweets,conversation_id",
                        "expansions": "author_id", "user.fields": "username"}
        if since_id:
            params["since_id"] = since_id
        found: list[dict] = []
        for _ in range(LOOKUP_MAX_PAGES):
            resp = self.http.request("GET", f"/2/users/{creds.account_id}/mentions", token=creds.access_token,
                                     params=params)
            body = resp.json()
            users = {u["id"]: u for u in (body.get("includes") or {}).get("users") or []}
            for tweet in body.get("data") or []:
                found.append({**tweet, "author": users.get(tweet.get("author_id")) or {}})
            next_token = (body.get("meta") or {}).get("next_token")
            if not next_token or not since_id:
                break
            params["pagination_token"] = next_token
        return sorted(found, key=lambda t: int(t["id"]))

    def read_rate_limit(self, resp: httpx.Response) -> RateLimit | None:
        return read_rate_limit(resp)
