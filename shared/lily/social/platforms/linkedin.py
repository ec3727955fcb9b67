"""LinkedIn REST API: OAuth 2.0 (members, and organization pages the member administers), posts, images.

Facts: https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow (OAuth),
https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api (posts),
https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits, and LinkedIn's official client
https://github.com/linkedin-developers/linkedin-api-python-client. Every ``/rest`` call carries ``LinkedIn-Version``
(YYYYMM) and ``X-Restli-Protocol-Version: 2.0.0``. Errors are ``{"message","serviceErrorCode","status"}``;
quotas reset at midnight UTC and no rate-limit headers are documented, so a 429 resets at the next
midnight unless ``Retry-After`` says otherwise. Calls are paced client-side (one per second by default).
Revoke (``/oauth/v2/revoke``) and post read-back are UNVERIFIED: both are tried and degrade cleanly.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
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

_RESERVED = re.compile(r"([\\|{}@\[\]()<>*_~]|#(?!\w))")


def escape_little_text(text: str) -> str:
    """Escape little-text reserved characters (unescaped ones can silently truncate a post).

    ``#word`` stays a hashtag; every other reserved character becomes literal.
    """
    return _RESERVED.sub(lambda m: "\\" + m.group(1), text)


def next_midnight_utc() -> float:
    now = clock.now()
    return (datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)).timestamp()


def read_rate_limit(resp: httpx.Response) -> RateLimit | None:
    if resp.status_code != 429:
        return None
    retry = resp.headers.get("retry-after")
    reset = clock.now_ts() + float(retry) if retry and retry.isdigit() else next_midnight_utc()
    return RateLimit(remaining=0, reset_at=reset)


def classify(resp: httpx.Response) -> PlatformError:
    status = resp.status_code
    body = json_or_empty(resp)
    if isinstance(body.get("error"), str):  # OAuth endpoints
        code = body["error"]
        expired = code in ("invalid_grant", "invalid_request", "invalid_token")
        kind = ErrorKind.AUTH_EXPIRED if expired else status_kind(status)
        if code in ("invalid_client", "unauthorized_client"):
            kind = ErrorKind.PERMISSION
        return PlatformError(
            kind, "linkedin", str(body.get("error_description") or code), status=status, platform_code=code
        )
    message = str(body.get("message") or f"LinkedIn answered {status}")
    svc = body.get("serviceErrorCode")
    pcode = str(svc) if svc is not None else None
    if status == 429:
        rl = read_rate_limit(resp)
        return PlatformError(
            ErrorKind.RATE_LIMITED,
            "linkedin",
            message,
            status=status,
            platform_code=pcode,
            reset_at=rl.reset_at if rl else next_midnight_utc(),
        )
    if status == 426:
        return PlatformError(
            ErrorKind.UNKNOWN,
            "linkedin",
            f"LinkedIn-Version rejected: {message}",
            status=status,
            platform_code="version",
        )
    if status == 401 or svc in (65600, 65601, 65602):
        kind = ErrorKind.AUTH_EXPIRED
    else:
        kind = status_kind(status)
    return PlatformError(kind, "linkedin", message, status=status, platform_code=pcode)


class LinkedInAdapter(PlatformAdapter):
    platform = "linkedin"
    # No PKCE: LinkedIn offers it only to native apps it enables one by one, redirecting to a loopback address
    # (learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow-native). Lily is a web app
    # with an https callback and a client secret, on the standard 3-legged flow, which takes no code_challenge.
    uses_pkce = False

    def __init__(self, transport: httpx.BaseTransport | None = None, min_interval_s: float | None = None) -> None:
        self.s = social_settings()
        self.http = PlatformHttp(
            "linkedin",
            self.s.linkedin_api_base,
            classify,
            self.s.http_timeout_s,
            min_interval_s=self.s.linkedin_min_interval_s if min_interval_s is None else min_interval_s,
            headers={"LinkedIn-Version": self.s.linkedin_version, "X-Restli-Protocol-Version": "2.0.0"},
            transport=transport,
        )

    def _oauth(self, path: str) -> str:
        return f"{self.s.linkedin_auth_base}/oauth/v2/{path}"

    def _client(self) -> dict[str, str]:
        return {"client_id": self.s.linkedin_client_id, "client_secret": app_secrets()["linkedin_client_secret"]}

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
            "client_id": self.s.linkedin_client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": self.s.linkedin_scopes,
        }
        return f"{self._oauth('authorization')}?{urlencode(query, quote_via=quote)}"

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        resp = self.http.request(
            "POST",
            self._oauth("accessToken"),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **self._client()},
        )
        return self._tokens(resp.json())

    def refresh(self, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            # Programmatic refresh tokens are for approved partners only: validate until expiry.
            self._introspect(tokens.access_token)
            return tokens
        resp = self.http.request(
            "POST",
            self._oauth("accessToken"),
            data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token, **self._client()},
        )
        return self._tokens(resp.json(), tokens)

    def _introspect(self, token: str) -> None:
        body = self.http.request("POST", self._oauth("introspectToken"), data={**self._client(), "token": token}).json()
        if not body.get("active"):
            raise PlatformError(
                ErrorKind.AUTH_EXPIRED,
                "linkedin",
                f"token {body.get('status') or 'inactive'}",
                platform_code=str(body.get("status") or "inactive"),
            )

    def validate(self, creds: Credentials) -> None:
        self._introspect(creds.access_token)

    def revoke(self, tokens: TokenSet) -> bool:
        try:
            self.http.request("POST", self._oauth("revoke"), data={**self._client(), "token": tokens.access_token})
        except PlatformError as exc:
            if exc.platform_status in (404, 405):
                return False
            raise
        return True

    def accounts(self, tokens: TokenSet) -> list[Account]:
        me = self.http.request("GET", "/v2/userinfo", token=tokens.access_token).json()
        person = f"urn:li:person:{me['sub']}"
        out = [
            Account(
                account_id=person,
                kind="member",
                name=me.get("name") or me["sub"],
                urn=person,
                avatar_url=me.get("picture"),
            )
        ]
        if not {"rw_organization_admin", "r_organization_admin"} & set(tokens.scopes):
            return out
        try:
            acls = (
                self.http.request(
                    "GET",
                    "/rest/organizationAcls",
                    token=tokens.access_token,
                    params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
                )
                .json()
                .get("elements")
                or []
            )
        except PlatformError as exc:
            if exc.kind == ErrorKind.PERMISSION:
                return out
            raise
        for acl in acls:
            org_urn = acl.get("organization") or acl.get("organizationTarget")
            if not org_urn:
                continue
            org_id = org_urn.rsplit(":", 1)[-1]
            org = self.http.request("GET", f"/rest/organizations/{org_id}", token=tokens.access_token).json()
            out.append(
                Account(
                    account_id=org_urn,
                    kind="organization",
                    urn=org_urn,
                    name=org.get("localizedName") or org_id,
                    handle=org.get("vanityName"),
                )
            )
        return out

    # --- publishing
    def publish(self, creds: Credentials, post: PostPayload) -> PublishResult:
        body: dict = {
            "author": creds.urn or creds.account_id,
            "commentary": escape_little_text(post.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if len(post.media_ids) == 1:
            body["content"] = {"media": {"id": post.media_ids[0]}}
        elif post.media_ids:
            body["content"] = {"multiImage": {"images": [{"id": m} for m in post.media_ids[:20]]}}
        elif post.link:
            body["content"] = {"article": {"source": post.link, "title": post.link}}
        resp = self.http.request(
            "POST", "/rest/posts", token=creds.access_token, json=body, ambiguous_on_timeout=True, expect=(201,)
        )
        urn = resp.headers.get("x-restli-id")
        if not urn:
            raise PlatformError(ErrorKind.UNKNOWN, "linkedin", "created post without x-restli-id", ambiguous=True)
        return PublishResult(platform_post_id=urn, url=f"https://www.linkedin.com/feed/update/{urn}/")

    def lookup(
        self, creds: Credentials, *, marker: str | None = None, text: str | None = None, since: float | None = None
    ) -> PublishResult | None:
        """Reads the author's recent posts. Member posts need the restricted ``r_member_social``: without it
        this raises PlatformError(PERMISSION) and the caller must not assume the post is absent."""
        want = escape_little_text(text) if text else None
        author = creds.urn or creds.account_id
        page = 100
        # Page back (newest first) until a page starts before ``since``, so a busy account cannot hide the post.
        for start in range(0, 10 * page, page):
            resp = self.http.request(
                "GET",
                "/rest/posts",
                token=creds.access_token,
                params={"q": "author", "author": author, "count": page, "start": start, "sortBy": "LAST_MODIFIED"},
            )
            elements = resp.json().get("elements") or []
            for p in elements:
                if matches(p.get("commentary"), marker, want):
                    return PublishResult(platform_post_id=p["id"], url=f"https://www.linkedin.com/feed/update/{p['id']}/")
            oldest = min((p.get("createdAt") or 0 for p in elements), default=0) / 1000
            if len(elements) < page or (since is not None and oldest < since):
                return None
        raise PlatformError(ErrorKind.TRANSIENT, "linkedin", "lookup did not reach the start of the window")

    def delete(self, creds: Credentials, platform_post_id: str) -> bool:
        try:
            self.http.request("DELETE", f"/rest/posts/{quote(platform_post_id, safe='')}", token=creds.access_token)
        except PlatformError as exc:
            if exc.platform_status == 404:
                return False
            raise
        return True

    def metrics(self, creds: Credentials, platform_post_id: str) -> PostMetrics:
        if creds.kind == "organization":
            kind = "ugcPosts" if ":ugcPost:" in platform_post_id else "shares"
            resp = self.http.request(
                "GET",
                "/rest/organizationalEntityShareStatistics",
                token=creds.access_token,
                params={
                    "q": "organizationalEntity",
                    "organizationalEntity": creds.urn or creds.account_id,
                    kind: f"List({quote(platform_post_id, safe='')})",
                },
            )
            elements = resp.json().get("elements") or [{}]
            st = elements[0].get("totalShareStatistics") or {}
            return PostMetrics(
                platform_post_id=platform_post_id,
                impressions=st.get("impressionCount"),
                likes=st.get("likeCount"),
                comments=st.get("commentCount"),
                shares=st.get("shareCount"),
                clicks=st.get("clickCount"),
                raw=st,
            )
        body = self.http.request(
            "GET", f"/rest/socialActions/{quote(platform_post_id, safe='')}", token=creds.access_token
        ).json()
        return PostMetrics(
            platform_post_id=platform_post_id,
            likes=(body.get("likesSummary") or {}).get("totalLikes"),
            comments=(body.get("commentsSummary") or {}).get("aggregatedTotalComments"),
            raw=body,
        )

    def followers(self, creds: Credentials) -> int | None:
        # An organization's followers: networkSizes with edgeType COMPANY_FOLLOWED_BY_COMPANY (firstDegreeSize).
        # A member's own network size needs a partner permission Lily does not ask for: not reported (None).
        if creds.kind != "organization":
            return None
        urn = creds.urn or f"urn:li:organization:{creds.account_id}"
        body = self.http.request("GET", f"/rest/networkSizes/{quote(urn, safe='')}", token=creds.access_token,
                                 params={"edgeType": "COMPANY_FOLLOWED_BY_COMPANY"}).json()
        return body.get("firstDegreeSize")

    def upload_media(self, creds: Credentials, data: bytes, media_type: str) -> str:
        if not media_type.startswith("image/"):
            raise PlatformError(ErrorKind.VALIDATION, "linkedin", "only images are supported for now")
        value = self.http.request(
            "POST",
            "/rest/images",
            token=creds.access_token,
            params={"action": "initializeUpload"},
            json={"initializeUploadRequest": {"owner": creds.urn or creds.account_id}},
        ).json()["value"]
        self.http.request(
            "PUT", value["uploadUrl"], token=creds.access_token, content=data, headers={"Content-Type": media_type}
        )
        return value["image"]

    # --- comments: the socialActions API (facts §3.5): POST /rest/socialActions/{post or comment URN}/comments with
    # {"actor", "object": the post, "message": {"text"}, "parentComment": the comment answered}; 201 + the comment.
    @staticmethod
    def _thread(on: CommentOn) -> str:
        return f"/rest/socialActions/{quote(on.comment_id or on.post_id, safe='')}/comments"

    @staticmethod
    def _comment_urn(body: dict, on: CommentOn, header_id: str | None) -> str | None:
        urn = body.get("commentUrn") or body.get("$URN")
        if not urn and (body.get("id") or header_id):
            urn = f"urn:li:comment:({on.post_id},{body.get('id') or header_id})"
        return urn

    def comment(self, creds: Credentials, on: CommentOn, text: str) -> PublishResult:
        body: dict = {"actor": creds.urn or creds.account_id, "object": on.post_id, "message": {"text": text}}
        if on.comment_id:
            body["parentComment"] = on.comment_id
        resp = self.http.request("POST", self._thread(on), token=creds.access_token, json=body,
                                 ambiguous_on_timeout=True, expect=(201,))
        urn = self._comment_urn(json_or_empty(resp), on, resp.headers.get("x-restli-id"))
        if not urn:
            raise PlatformError(ErrorKind.UNKNOWN, "linkedin", "created comment without an id", ambiguous=True)
        return PublishResult(platform_post_id=urn, url=f"https://www.linkedin.com/feed/update/{on.post_id}/")

    def find_comment(self, creds: Credentials, on: CommentOn, text: str, since: float | None) -> PublishResult | None:
        actor = creds.urn or creds.account_id
        resp = self.http.request("GET", self._thread(on), token=creds.access_token, params={"count": 100})
        for c in resp.json().get("elements") or []:
            if c.get("actor") == actor and matches((c.get("message") or {}).get("text"), None, text):
                urn = self._comment_urn(c, on, None)
                if urn:
                    return PublishResult(platform_post_id=urn, url=f"https://www.linkedin.com/feed/update/{on.post_id}/")
        return None

    def read_rate_limit(self, resp: httpx.Response) -> RateLimit | None:
        return read_rate_limit(resp)
