"""LinkedIn sandbox: OAuth 2.0 (authorization, accessToken with both grants, introspectToken, revoke),
``/v2/userinfo``, organization ACLs and organizations, ``/rest/posts`` (201 + ``x-restli-id``), the
Images API, statistics, ``LinkedIn-Version`` enforcement, 429s without rate-limit headers, and webhooks
signed as ``X-LI-Signature`` = hex HMAC-SHA256(clientSecret, "hmacsha256=" + body).
Facts: /work/shared/reference/platform-apis.md §3.
Switches (UNVERIFIED behaviours): ``rotate_refresh`` (False), ``issue_refresh`` (True), ``member_read``
(False: the app is not approved for the restricted ``r_member_social``, so asking for it is refused),
``revoke_supported`` (True), ``supported_months`` (12: how long a version stays active), ``min_version``
("": an extra floor), ``orgs_per_user`` (1), ``signature_style`` ("prefixed" | "header_prefix"),
``restli_required`` ("finders_and_posts" | "all" | "none").

As the real API: ``LinkedIn-Version`` must be an active ``YYYYMM`` (optionally ``.NN``) version, one of the
last ``supported_months`` months, else 426 ``NONEXISTENT_VERSION`` ("Requested version … is not active");
reading a member's posts needs ``r_member_social`` in the grant (an organization's: ``r_organization_social``);
finders (``q=``) and the Posts API need ``X-Restli-Protocol-Version: 2.0.0``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from urllib.parse import unquote, urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

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

CLIENT_ID = "lily-linkedin-client"


def _secret() -> str:
    from lily.social.settings import LOCAL_APP_SECRETS

    return LOCAL_APP_SECRETS["linkedin_client_secret"]


VERSION = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?:\.\d{2})?")


def li_error(
    status: int, message: str, service_code: int | None = None, headers: dict | None = None, code: str | None = None
) -> JSONResponse:
    body: dict = {"message": message, "status": status}
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    if code is not None:
        body["code"] = code
    return JSONResponse(body, status_code=status, headers=headers)


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def build(state: PlatformState | None = None):
    state = state or PlatformState(
        "linkedin",
        {
            "code_ttl_s": 1800,
            "rotate_refresh": False,
            "issue_refresh": True,
            "member_read": False,
            "revoke_supported": True,
            "supported_months": 12,
            "min_version": "",
            "restli_required": "finders_and_posts",
            "orgs_per_user": 1,
            "signature_style": "prefixed",
            "access_ttl_s": 5184000,
        },
    )

    def rate_limited(f: Fault) -> Response:
        return li_error(429, "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.")

    def server_error() -> Response:
        return li_error(503, "Service Unavailable")

    def signer(raw: bytes) -> dict[str, str]:
        if state.config["signature_style"] == "header_prefix":
            return {"X-LI-Signature": "hmacsha256=" + hmac.new(_secret().encode(), raw, hashlib.sha256).hexdigest()}
        msg = b"hmacsha256=" + raw
        return {"X-LI-Signature": hmac.new(_secret().encode(), msg, hashlib.sha256).hexdigest()}

    app = sandbox_app(
        state,
        "LinkedIn sandbox",
        rate_limited=rate_limited,
        server_error=server_error,
        signer=signer,
        api_prefixes=("/rest/", "/v2/", "/oauth/v2/accessToken", "/oauth/v2/introspect"),
    )

    def person(user: str) -> str:
        return f"urn:li:person:{stable_id('li', user, digits=10)}"

    def orgs_of(user: str) -> list[dict]:
        return [
            {
                "id": stable_id("org", user, str(i), digits=8),
                "localizedName": f"{user.title()} Org {i}",
                "vanityName": f"{user}-org-{i}",
            }
            for i in range(1, int(state.config["orgs_per_user"]) + 1)
        ]

    def client_ok(form: dict) -> bool:
        return form.get("client_id") == CLIENT_ID and hmac.compare_digest(form.get("client_secret", ""), _secret())

    def version_active(version: str) -> bool:
        m = VERSION.fullmatch(version)
        if not m or not 1 <= int(m["month"]) <= 12:
            return False
        now = clock.now()
        age = (now.year * 12 + now.month) - (int(m["year"]) * 12 + int(m["month"]))
        floor = str(state.config["min_version"] or "")
        return 0 <= age < int(state.config["supported_months"]) and version[:6] >= floor

    def restli_needed(request: Request) -> bool:
        rule = state.config["restli_required"]
        if rule == "all":
            return True
        return rule == "finders_and_posts" and (
            "q" in request.query_params or request.url.path.startswith("/rest/posts")
        )

    def rest_guard(request: Request):
        """(grant, None) or (None, error response) for /rest calls."""
        version = request.headers.get("linkedin-version")
        if not version:
            return None, li_error(
                400,
                "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
                code="VERSION_MISSING",
            )
        if not version_active(version):
            return None, li_error(426, f"Requested version {version} is not active", code="NONEXISTENT_VERSION")
        if restli_needed(request) and request.headers.get("x-restli-protocol-version") != "2.0.0":
            return None, li_error(
                400, "This request requires the header X-Restli-Protocol-Version: 2.0.0", 100, code="ILLEGAL_ARGUMENT"
            )
        g = state.grant_for(bearer(request))
        if g is None:
            return None, li_error(401, "Invalid access token", 65600)
        return g, None

    @app.api_route("/oauth/v2/authorization", methods=["GET", "POST"])
    async def authorization(request: Request) -> Response:
        form = await form_of(request)
        if form.get("client_id") != CLIENT_ID or form.get("response_type") != "code":
            return oauth_error(400, "invalid_request", "The passed in client_id is invalid")

        if "r_member_social" in form.get("scope", "").split() and not state.config["member_read"]:
            sep = "&" if "?" in form.get("redirect_uri", "") else "?"
            query = urlencode({
                "error": "unauthorized_scope_error",
                "error_description": "Scope \"r_member_social\" is not authorized for your application",
                "state": form.get("state", ""),
            })
            return RedirectResponse(f"{form.get('redirect_uri', '')}{sep}{query}", 302)

        # PKCE exists only for native apps LinkedIn enabled it for (loopback redirects); Lily's web flow does
        # not send it. A challenge that is sent binds the code to its verifier, as RFC 7636 says.
        challenge, method = form.get("code_challenge"), form.get("code_challenge_method", "plain")
        if challenge and method not in PKCE_METHODS:
            return oauth_error(400, "invalid_request", "Invalid code_challenge_method")

        def issue(user: str) -> str:
            return state.issue_code(
                user=user, redirect_uri=form.get("redirect_uri"), scopes=form.get("scope", "").split(),
                challenge=challenge, method=method,
            )

        return approve_flow(request, form, issue, "Sign in with LinkedIn")

    @app.post("/oauth/v2/accessToken")
    async def access_token(request: Request) -> Response:
        form = await form_of(request)
        if not client_ok(form):
            return oauth_error(401, "invalid_client", "Client authentication failed")
        ttl = int(state.config["access_ttl_s"])
        if form.get("grant_type") == "authorization_code":
            info = state.take_code(form.get("code", ""), state.config["code_ttl_s"])
            if info is None:
                return oauth_error(
                    400, "invalid_request", "Unable to retrieve access token: authorization code not found"
                )
            verifier_ok = not info.get("challenge") or pkce_verifies(info["challenge"], info["method"],
                                                                 form.get("code_verifier"))
            if info["redirect_uri"] != form.get("redirect_uri") or not verifier_ok:
                return oauth_error(
                    400,
                    "invalid_redirect_uri",
                    "Unable to retrieve access token: appid/redirect "
                    "uri/code verifier does not match authorization code.",
                )
            body = state.issue_tokens(
                info["user"], CLIENT_ID, info["scopes"], ttl, with_refresh=bool(state.config["issue_refresh"])
            )
            if "refresh_token" in body:
                body["refresh_token_expires_in"] = 31536000
            return JSONResponse({**body, "scope": ",".join(info["scopes"])})
        if form.get("grant_type") == "refresh_token":
            rt = form.get("refresh_token", "")
            with state.lock:
                grant = state.refresh.get(rt)
                if grant is None or grant.revoked:
                    return oauth_error(400, "invalid_request", "The provided refresh token is invalid or expired")
                if state.config["rotate_refresh"]:
                    grant.revoked = True
            body = state.issue_tokens(
                grant.user, CLIENT_ID, grant.scopes, ttl, with_refresh=bool(state.config["rotate_refresh"])
            )
            if not state.config["rotate_refresh"]:
                body.pop("refresh_token", None)  # same refresh token keeps working; not re-sent
            return JSONResponse({**body, "scope": ",".join(grant.scopes)})
        return oauth_error(400, "unsupported_grant_type", "grant type not supported")

    @app.post("/oauth/v2/introspectToken")
    async def introspect(request: Request) -> Response:
        form = await form_of(request)
        if not client_ok(form):
            return oauth_error(401, "invalid_client", "Client authentication failed")
        g = state.access.get(form.get("token", ""))
        if g is None:
            return JSONResponse({"active": False, "status": "revoked"})
        status = "active" if g.live() else ("revoked" if g.revoked else "expired")
        return JSONResponse(
            {
                "active": g.live(),
                "client_id": CLIENT_ID,
                "status": status,
                "auth_type": "3L",
                "scope": ",".join(g.scopes),
                "expires_at": int(g.expires_at or 0),
            }
        )

    @app.post("/oauth/v2/revoke")
    async def revoke(request: Request) -> Response:
        if not state.config["revoke_supported"]:
            return li_error(404, "Not Found")
        form = await form_of(request)
        if not client_ok(form):
            return oauth_error(401, "invalid_client", "Client authentication failed")
        state.revoke_grant(form.get("token", ""))
        return JSONResponse({})

    @app.get("/v2/userinfo")
    def userinfo(request: Request) -> Response:
        g = state.grant_for(bearer(request))
        if g is None:
            return li_error(401, "Invalid access token", 65600)
        sub = person(g.user).rsplit(":", 1)[-1]
        return JSONResponse(
            {
                "sub": sub,
                "name": g.user.title(),
                "given_name": g.user.title(),
                "family_name": "Sandbox",
                "picture": f"https://media.licdn.example/{sub}.jpg",
                "locale": {"country": "US", "language": "en"},
                "email": f"{g.user}@example.com",
                "email_verified": True,
            }
        )

    @app.get("/rest/organizationAcls")
    def acls(request: Request) -> Response:
        g, err = rest_guard(request)
        if err:
            return err
        if not {"rw_organization_admin", "r_organization_admin"} & set(g.scopes):
            return li_error(403, "Not enough permissions to access: organizationAcls.FINDER-roleAssignee", 100)
        return JSONResponse(
            {
                "elements": [
                    {
                        "roleAssignee": person(g.user),
                        "organization": f"urn:li:organization:{o['id']}",
                        "role": "ADMINISTRATOR",
                        "state": "APPROVED",
                    }
                    for o in orgs_of(g.user)
                ],
                "paging": {"count": 10, "start": 0},
            }
        )

    @app.get("/rest/organizations/{org_id}")
    def organization(org_id: str, request: Request) -> Response:
        g, err = rest_guard(request)
        if err:
            return err
        for o in orgs_of(g.user):
            if o["id"] == org_id:
                return JSONResponse(o)
        return li_error(404, "Not Found", 100)

    def may_read(g, author: str) -> bool:
        """Member posts need the restricted r_member_social; organization posts r_organization_social."""
        return ("r_member_social" if ":person:" in author else "r_organization_social") in g.scopes

    def may_author(g, author: str) -> bool:
        return author == person(g.user) or any(author == f"urn:li:organization:{o['id']}" for o in orgs_of(g.user))

    @app.post("/rest/posts")
    async def create(request: Request) -> Response:
        g, err = rest_guard(request)
        if err:
            return err
        body = await request.json()
        author = body.get("author", "")
        if "commentary" not in body or not author:
            return li_error(422, "/commentary :: field is required", 100)
        scope = "w_organization_social" if ":organization:" in author else "w_member_social"
        if scope not in g.scopes or not may_author(g, author):
            return li_error(403, "Not enough permissions to access: partnerApiPostsExternal.CREATE", 100)
        if len(body["commentary"]) > 3000:
            return li_error(422, "/commentary :: length exceeds 3000", 100)
        urn = f"urn:li:share:{state.next_id()}"
        with state.lock:
            state.posts[urn] = {
                "id": urn,
                "author": author,
                "commentary": body["commentary"],
                "owner": g.user,
                "content": body.get("content"),
                "created_at": int(time.time() * 1000),
                "deleted": False,
            }
        return Response(status_code=201, headers={"x-restli-id": urn, "x-linkedin-id": urn})

    @app.get("/rest/posts")
    def find(request: Request) -> Response:
        g, err = rest_guard(request)
        if err:
            return err
        author = request.query_params.get("author", "")
        if request.query_params.get("q") != "author" or not author:
            return li_error(400, "q=author and author are required", 100)
        if not may_read(g, author):
            return li_error(403, "Not enough permissions to access: partnerApiPostsExternal.FINDER-author", 100)
        with state.lock:
            items = [p for p in state.posts.values() if p["author"] == author and not p["deleted"]]
        items.sort(key=lambda p: p["created_at"], reverse=True)
        n = int(request.query_params.get("count", "10"))
        start = int(request.query_params.get("start", "0"))
        return JSONResponse(
            {
                "elements": [
                    {
                        "id": p["id"],
                        "author": p["author"],
                        "commentary": p["commentary"],
                        "lifecycleState": "PUBLISHED",
                        "createdAt": p["created_at"],
                    }
                    for p in items[start:start + n]
                ],
                "paging": {"count": n, "start": start, "total": len(items)},
            }
        )

    @app.get("/rest/posts/{urn}")
    def read(urn: str, request: Request) -> Response:
        g, err = rest_guard(request)
        if err:
            return err
        p = state.posts.get(unquote(urn))
        if p is None or p["deleted"]:
            return li_error(404, "Not Found", 100)
        if not may_read(g, p["author"]):
            return li_error(403, "Not enough permissions to access: partnerApiPostsExternal.GET", 100)
        return JSONResponse(
            {
                "id": p["id"],
                "author": p["author"],
                "commentary": p["commentary"],
                "lifecycleState": "PUBLISHED",
                "createdAt": p["created_at"],
            }
        )

    @app.delete("/rest/posts/{urn}")
    def delete(urn: str, request: Request) -> Response:
        g, err = rest_guard(request)
        if err:
            return err
        p = state.posts.get(unquote(urn))
        if p is None or p["deleted"]:
            return li_error(404, "Not Found", 100)
        if not may_author(g, p["author"]):
            return li_error(403, "Not enough permissions", 100)
        p["deleted"] = True
        return Response(status_code=204)

    @app.post("/rest/images")
    async def images(request: Request) -> Response:
        g, err = rest_guard(request)
        if err:
            return err
        if request.query_params.get("action") != "initializeUpload":
            return li_error(400, "unsupported action", 100)
        owner = ((await request.json()).get("initializeUploadRequest") or {}).get("owner", "")
        if not may_author(g, owner):
            return li_error(403, "Not enough permissions", 100)
        image = f"urn:li:image:{state.next_id('C')}"
        state.media[image] = {"id": image, "owner": owner, "status": "WAITING_UPLOAD"}
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "value": {
                    "uploadUrlExpiresAt": int(time.time() * 1000) + 86400000,
                    "uploadUrl": f"{base}/rest/_upload/{image}",
                    "image": image,
                }
            }
        )

    @app.put("/rest/_upload/{image}")
    async def upload(image: str, request: Request) -> Response:
        m = state.media.get(unquote(image))
        if m is None:
            return li_error(404, "Not Found")
        m["size"], m["status"] = len(await request.body()), "AVAILABLE"
        return Response(status_code=201)

    @app.get("/rest/organizationalEntityShareStatistics")
    def share_stats(request: Request) -> Response:
        g, err = rest_guard(request)
        if err:
            return err
        return JSONResponse(
            {
                "elements": [
                    {
                        "organizationalEntity": request.query_params.get("organizationalEntity"),
                        "totalShareStatistics": {
                            "impressionCount": 120,
                            "uniqueImpressionsCount": 80,
                            "clickCount": 7,
                            "likeCount": 9,
                            "commentCount": 2,
                            "shareCount": 1,
                            "engagement": 0.15,
                        },
                    }
                ]
            }
        )

    @app.get("/rest/socialActions/{urn}")
    def social_actions(urn: str, request: Request) -> Response:
        g, err = rest_guard(request)
        if err:
            return err
        return JSONResponse(
            {
                "target": unquote(urn),
                "likesSummary": {"totalLikes": 5},
                "commentsSummary": {"aggregatedTotalComments": 1},
            }
        )

    return app, state


def start() -> Sandbox:
    app, state = build()
    server = ThreadedServer(app).start()
    base = server.base_url
    sandbox = Sandbox(
        name="linkedin",
        base_url=base,
        server=server,
        env={
            "LILY_SOCIAL_LINKEDIN_AUTH_BASE": base,
            "LILY_SOCIAL_LINKEDIN_API_BASE": base,
        },
    )
    sandbox.state = state  # type: ignore[attr-defined]
    return sandbox
