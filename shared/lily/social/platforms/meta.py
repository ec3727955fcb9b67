"""Meta Graph API: Facebook Login, Pages and the Instagram Business accounts linked to them.

Facts: Meta for Developers, https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow (login,
code exchange), https://developers.facebook.com/docs/pages-api/posts (Page posts),
https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media_publish
(Instagram containers), https://developers.facebook.com/docs/graph-api/overview/rate-limiting and
https://developers.facebook.com/docs/graph-api/guides/error-handling (errors, usage headers).
One grant (a long-lived user token) yields one
Page token per Page; with a long-lived user token Page tokens do not expire, so a Facebook or
Instagram connection stores the Page token and is *validated* (not refreshed) by the health job.
Meta has no per-Page revoke (``DELETE /{user-id}/permissions`` would de-authorise every Page of the
user, in every organization, and is UNVERIFIED): disconnecting only forgets the tokens.
Errors: ``{"error":{"code","error_subcode","message","type","is_transient"}}``; usage headers
``X-App-Usage`` and ``X-Business-Use-Case-Usage`` (JSON, percentages; regain time in minutes).

Longer than ~350 lines on purpose: it is one port implementation (``PlatformAdapter``) for one API, Facebook
and Instagram flows sharing its Graph client, error classifier and rate-limit headers; one file per platform
is how a reader finds every call Lily makes to it.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

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

_THROTTLE = {4, 17, 32, 341, 613, 80001, 80002, 80004, 80005, 80006, 80008}
_IG_TRANSIENT_SUBCODES = {2207001, 2207003, 2207027}
_IG_QUOTA_SUBCODE = 2207042  # the account's 24-hour publishing quota is spent (facts §2.4, §2.7)


def read_rate_limit(resp: httpx.Response) -> RateLimit | None:
    pct: float | None = None
    regain_min: float | None = None
    for header in ("x-app-usage", "x-business-use-case-usage", "x-page-usage"):
        raw = resp.headers.get(header)
        if not raw:
            continue
        try:
            doc = json.loads(raw)
        except ValueError:
            continue
        entries = (
            [doc]
            if header != "x-business-use-case-usage"
            else [e for items in doc.values() if isinstance(items, list) for e in items if isinstance(e, dict)]
        )
        for e in entries:
            for key in ("call_count", "total_time", "total_cputime"):
                if isinstance(e.get(key), int | float):
                    pct = max(pct or 0.0, float(e[key]))
            if isinstance(e.get("estimated_time_to_regain_access"), int | float):
                regain_min = max(regain_min or 0.0, float(e["estimated_time_to_regain_access"]))
    if pct is None and regain_min is None:
        return None
    reset = clock.now_ts() + regain_min * 60 if regain_min else None
    return RateLimit(usage_pct=pct, reset_at=reset, remaining=0 if (pct or 0) >= 100 else None)


def _alt(post: PostPayload, index: int) -> str | None:
    """The alt text of the post's ``index``-th media, if it has one."""
    return post.media_alt_texts[index] if index < len(post.media_alt_texts) else None


def classify(resp: httpx.Response, platform: str = "meta") -> PlatformError:
    status = resp.status_code
    err = json_or_empty(resp).get("error")
    if not isinstance(err, dict):
        return PlatformError(status_kind(status), platform, f"Graph API answered {status}", status=status)
    code = err.get("code")
    sub = err.get("error_subcode")
    message = str(err.get("error_user_msg") or err.get("message") or "Graph API error")
    pcode = f"{code}" + (f"/{sub}" if sub else "")
    if code in _THROTTLE or status == 429 or sub == _IG_QUOTA_SUBCODE:
        rl = read_rate_limit(resp)
        reset = rl.reset_at if rl and rl.reset_at else clock.now_ts() + 3600
        return PlatformError(
            ErrorKind.RATE_LIMITED, platform, message, status=status, platform_code=pcode, reset_at=reset
        )
    if code in (190, 102):
        kind = ErrorKind.AUTH_EXPIRED
    elif code == 10 or code == 368 or (isinstance(code, int) and 200 <= code <= 299):
        kind = ErrorKind.PERMISSION
    elif code in (1, 2) or err.get("is_transient") is True or sub in _IG_TRANSIENT_SUBCODES:
        kind = ErrorKind.TRANSIENT
    elif code in (100, 506, 1609005, 36003, 9004, 9007) or (isinstance(sub, int) and 2207000 <= sub < 2208000):
        kind = ErrorKind.VALIDATION
    else:
        kind = status_kind(status) if status >= 500 else ErrorKind.UNKNOWN
    return PlatformError(kind, platform, message, status=status, platform_code=pcode)


class MetaAdapter(PlatformAdapter):
    # Facebook Login's manually built flow takes code_challenge (S256) on the dialog and code_verifier on the
    # code exchange (developers.facebook.com .../facebook-login/guides/advanced/oidc-token); Instagram connects
    # through the same Facebook Login.
    uses_pkce = True

    def __init__(
        self,
        platform: str = "facebook",
        transport: httpx.BaseTransport | None = None,
        poll_interval_s: float = 1.0,
        poll_attempts: int = 30,
    ) -> None:
        if platform not in ("facebook", "instagram"):
            raise ValueError(platform)
        self.platform = platform
        self.s = social_settings()
        self.v = self.s.meta_graph_version
        self.http = PlatformHttp(
            platform,
            f"{self.s.meta_graph_base}/{self.v}",
            lambda r: classify(r, platform),
            self.s.http_timeout_s,
            transport=transport,
        )
        self.poll_interval_s = poll_interval_s
        self.poll_attempts = poll_attempts

    def _app(self) -> dict[str, str]:
        return {"client_id": self.s.meta_app_id, "client_secret": app_secrets()["meta_app_secret"]}

    # --- OAuth
    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        query = {
            "client_id": self.s.meta_app_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": self.s.meta_scopes,
            "response_type": "code",
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.s.meta_dialog_base}/{self.v}/dialog/oauth?{urlencode(query)}"

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        short = self.http.request(
            "GET",
            "/oauth/access_token",
            params={**self._app(), "redirect_uri": redirect_uri, "code": code, "code_verifier": code_verifier or ""},
        ).json()
        long = self.http.request(
            "GET",
            "/oauth/access_token",
            params={**self._app(), "grant_type": "fb_exchange_token", "fb_exchange_token": short["access_token"]},
        ).json()
        expires_in = long.get("expires_in")
        info = (
            self.http.request(
                "GET",
                "/debug_token",
                params={
                    "input_token": long["access_token"],
                    "access_token": f"{self.s.meta_app_id}|{app_secrets()['meta_app_secret']}",
                },
            )
            .json()
            .get("data")
            or {}
        )
        return TokenSet(
            access_token=long["access_token"],
            expires_at=clock.now_ts() + float(expires_in) if expires_in else None,
            scopes=scopes_of(info.get("scopes")),
        )

    def accounts(self, tokens: TokenSet) -> list[Account]:
        pages = (
            self.http.request(
                "GET",
                "/me/accounts",
                token=tokens.access_token,
                params={"fields": "id,name,access_token,tasks,picture{url}", "limit": 100},
            )
            .json()
            .get("data")
            or []
        )
        out: list[Account] = []
        for page in pages:
            page_tokens = TokenSet(access_token=page["access_token"], expires_at=None, scopes=tokens.scopes)
            if self.platform == "facebook":
                out.append(
                    Account(
                        account_id=page["id"],
                        kind="page",
                        name=page.get("name") or page["id"],
                        avatar_url=((page.get("picture") or {}).get("data") or {}).get("url"),
                        tokens=page_tokens,
                    )
                )
                continue
            linked = self.http.request(
                "GET",
                f"/{page['id']}",
                token=page["access_token"],
                params={"fields": "instagram_business_account{id,username,name,profile_picture_url}"},
            ).json()
            ig = linked.get("instagram_business_account")
            if ig and ig.get("id"):
                out.append(
                    Account(
                        account_id=ig["id"],
                        kind="instagram_business",
                        name=ig.get("name") or ig.get("username") or ig["id"],
                        handle=ig.get("username"),
                        avatar_url=ig.get("profile_picture_url"),
                        parent_id=page["id"],
                        tokens=page_tokens,
                    )
                )
        return out

    def refresh(self, tokens: TokenSet) -> TokenSet:
        """Page tokens do not expire; a long-lived user token is re-exchanged while still valid."""
        if tokens.expires_at is None:
            return tokens
        body = self.http.request(
            "GET",
            "/oauth/access_token",
            params={**self._app(), "grant_type": "fb_exchange_token", "fb_exchange_token": tokens.access_token},
        ).json()
        expires_in = body.get("expires_in")
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=tokens.refresh_token,
            expires_at=clock.now_ts() + float(expires_in) if expires_in else None,
            scopes=tokens.scopes,
        )

    def validate(self, creds: Credentials) -> None:
        self.http.request("GET", f"/{creds.account_id}", token=creds.access_token, params={"fields": "id"})

    def revoke(self, tokens: TokenSet) -> bool:
        return False  # no per-Page revoke; see the module docstring

    # --- publishing
    def publish(self, creds: Credentials, post: PostPayload) -> PublishResult:
        return self._publish_ig(creds, post) if self.platform == "instagram" else self._publish_fb(creds, post)

    def _publish_fb(self, creds: Credentials, post: PostPayload) -> PublishResult:
        if post.media_urls:
            body = self.http.request(
                "POST",
                f"/{creds.account_id}/photos",
                token=creds.access_token,
                data={"url": post.media_urls[0], "caption": post.text},
                ambiguous_on_timeout=True,
            ).json()
            post_id = body.get("post_id") or body["id"]
        else:
            data = {"message": post.text}
            if post.link:
                data["link"] = post.link
            post_id = self.http.request(
                "POST", f"/{creds.account_id}/feed", token=creds.access_token, data=data, ambiguous_on_timeout=True
            ).json()["id"]
        return PublishResult(platform_post_id=post_id, url=f"https://www.facebook.com/{post_id}")

    def _container(self, creds: Credentials, url: str, caption: str | None, child: bool,
                   alt_text: str | None = None) -> str:
        data: dict[str, str] = {}
        if any(url.lower().split("?")[0].endswith(ext) for ext in (".mp4", ".mov")):
            data.update(media_type="REELS", video_url=url)
        else:
            data["image_url"] = url
            if alt_text:  # images only (facts §2.4)
                data["alt_text"] = alt_text
        if child:
            data["is_carousel_item"] = "true"
        elif caption:
            data["caption"] = caption
        return self.http.request("POST", f"/{creds.account_id}/media", token=creds.access_token, data=data).json()["id"]

    def _wait_ready(self, creds: Credentials, container_id: str) -> None:
        for _ in range(self.poll_attempts):
            status = self.http.request(
                "GET", f"/{container_id}", token=creds.access_token, params={"fields": "status_code,status"}
            ).json()
            code = status.get("status_code")
            if code in ("FINISHED", "PUBLISHED", None):
                return
            if code in ("ERROR", "EXPIRED"):
                raise PlatformError(
                    ErrorKind.VALIDATION,
                    "instagram",
                    f"media container {code}: {status.get('status')}",
                    platform_code=str(code),
                )
            time.sleep(self.poll_interval_s)
        raise PlatformError(ErrorKind.TRANSIENT, "instagram", "media still processing")

    def _publish_ig(self, creds: Credentials, post: PostPayload) -> PublishResult:
        if not post.media_urls:
            raise PlatformError(ErrorKind.VALIDATION, "instagram", "an Instagram post needs an image or a video")
        if len(post.media_urls) == 1:
            container = self._container(creds, post.media_urls[0], post.text, child=False, alt_text=_alt(post, 0))
        else:
            children = [self._container(creds, u, None, child=True, alt_text=_alt(post, i))
                        for i, u in enumerate(post.media_urls[:10])]
            for c in children:
                self._wait_ready(creds, c)
            container = self.http.request(
                "POST",
                f"/{creds.account_id}/media",
                token=creds.access_token,
                data={"media_type": "CAROUSEL", "children": ",".join(children), "caption": post.text},
            ).json()["id"]
        self._wait_ready(creds, container)
        media_id = self.http.request(
            "POST",
            f"/{creds.account_id}/media_publish",
            token=creds.access_token,
            data={"creation_id": container},
            ambiguous_on_timeout=True,
        ).json()["id"]
        permalink = None
        try:
            permalink = (
                self.http.request("GET", f"/{media_id}", token=creds.access_token, params={"fields": "permalink"})
                .json()
                .get("permalink")
            )
        except PlatformError:
            pass  # the post is out; the link is a nicety
        return PublishResult(platform_post_id=media_id, url=permalink)

    def lookup(
        self, creds: Credentials, *, marker: str | None = None, text: str | None = None, since: float | None = None
    ) -> PublishResult | None:
        if self.platform == "instagram":
            items = (
                self.http.request(
                    "GET",
                    f"/{creds.account_id}/media",
                    token=creds.access_token,
                    params={"fields": "id,caption,timestamp,permalink", "limit": 25},
                )
                .json()
                .get("data")
                or []
            )
            for m in items:
                if matches(m.get("caption"), marker, text):
                    return PublishResult(platform_post_id=m["id"], url=m.get("permalink"))
            return None
        params: dict = {"fields": "id,message,created_time,permalink_url", "limit": 25}
        if since:
            params["since"] = int(since)
        items = (
            self.http.request("GET", f"/{creds.account_id}/feed", token=creds.access_token, params=params)
            .json()
            .get("data")
            or []
        )
        for p in items:
            if matches(p.get("message"), marker, text):
                return PublishResult(
                    platform_post_id=p["id"], url=p.get("permalink_url") or f"https://www.facebook.com/{p['id']}"
                )
        return None

    def delete(self, creds: Credentials, platform_post_id: str) -> bool:
        if self.platform == "instagram":
            return False  # the Instagram Graph API does not delete media (UNVERIFIED; see facts §2.4)
        try:
            body = self.http.request("DELETE", f"/{platform_post_id}", token=creds.access_token).json()
        except PlatformError as exc:
            if exc.kind == ErrorKind.VALIDATION:
                return False
            raise
        return bool(body.get("success"))

    def metrics(self, creds: Credentials, platform_post_id: str) -> PostMetrics:
        names = (
            "views,reach,likes,comments,shares,saved"
            if self.platform == "instagram"
            else "post_total_media_view_unique,post_clicks,post_reactions_like_total"
        )
        data = (
            self.http.request(
                "GET", f"/{platform_post_id}/insights", token=creds.access_token, params={"metric": names}
            )
            .json()
            .get("data")
            or []
        )
        values = {d["name"]: ((d.get("values") or [{}])[0]).get("value") for d in data if "name" in d}
        if self.platform == "instagram":
            return PostMetrics(
                platform_post_id=platform_post_id,
                impressions=values.get("views"),
                likes=values.get("likes"),
                comments=values.get("comments"),
                shares=values.get("shares"),
                raw=values,
            )
        return PostMetrics(
            platform_post_id=platform_post_id,
            impressions=values.get("post_total_media_view_unique"),
            likes=values.get("post_reactions_like_total"),
            clicks=values.get("post_clicks"),
            raw=values,
        )

    def followers(self, creds: Credentials) -> int | None:
        # The Page's and the Instagram professional account's ``followers_count`` field (Graph API node read)
        body = self.http.request("GET", f"/{creds.account_id}", token=creds.access_token,
                                 params={"fields": "followers_count"}).json()
        return body.get("followers_count")

    def upload_media(self, creds: Credentials, data: bytes, media_type: str) -> str:
        if self.platform == "instagram":
            raise PlatformError(ErrorKind.VALIDATION, "instagram", "Instagram fetches media from a public URL")
        body = self.http.request(
            "POST",
            f"/{creds.account_id}/photos",
            token=creds.access_token,
            files={"source": ("media", data, media_type)},
            data={"published": "false"},
        ).json()
        return body["id"]

    # --- comments: Facebook POST /{post-or-comment-id}/comments; Instagram POST /{ig-media-id}/comments (facts §2.4)
    # and, answering a comment, POST /{ig-comment-id}/replies. Both answer {"id"}.
    def _comment_edge(self, on: CommentOn) -> str:
        if self.platform == "instagram":
            return f"/{on.comment_id}/replies" if on.comment_id else f"/{on.post_id}/comments"
        return f"/{on.comment_id or on.post_id}/comments"

    def comment(self, creds: Credentials, on: CommentOn, text: str) -> PublishResult:
        comment_id = self.http.request("POST", self._comment_edge(on), token=creds.access_token,
                                       data={"message": text}, ambiguous_on_timeout=True).json()["id"]
        url = (f"https://www.facebook.com/{on.post_id}?comment_id={comment_id}" if self.platform == "facebook"
               else None)
        return PublishResult(platform_post_id=str(comment_id), url=url)

    def find_comment(self, creds: Credentials, on: CommentOn, text: str, since: float | None) -> PublishResult | None:
        """The account's comment with ``text`` on the edge :meth:`comment` writes to (newest 100)."""
        fields = "id,text,from,timestamp" if self.platform == "instagram" else "id,message,from,created_time"
        params: dict = {"fields": fields, "limit": 100}
        if self.platform == "facebook":
            params["order"] = "reverse_chronological"
        items = (self.http.request("GET", self._comment_edge(on), token=creds.access_token, params=params)
                 .json().get("data") or [])
        for c in items:
            mine = str((c.get("from") or {}).get("id")) == creds.account_id
            if mine and matches(c.get("message") if self.platform == "facebook" else c.get("text"), None, text):
                url = (f"https://www.facebook.com/{on.post_id}?comment_id={c['id']}" if self.platform == "facebook"
                       else None)
                return PublishResult(platform_post_id=str(c["id"]), url=url)
        return None

    def read_rate_limit(self, resp: httpx.Response) -> RateLimit | None:
        return read_rate_limit(resp)
