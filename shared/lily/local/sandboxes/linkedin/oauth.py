"""LinkedIn's OAuth 2.0: authorization (``r_member_social`` refused unless the switch ``member_read``; PKCE
checked when a challenge is sent), ``accessToken`` with both grants, ``introspectToken``, ``revoke``; and the
OpenID ``/v2/userinfo``."""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from lily.local.sandboxes.linkedin.state import CLIENT_ID, LinkedInState, client_secret, li_error
from lily.local.sandboxes.oauth import PKCE_METHODS, approve_flow, bearer, form_of, pkce_verifies


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def client_ok(form: dict) -> bool:
    return form.get("client_id") == CLIENT_ID and hmac.compare_digest(form.get("client_secret", ""), client_secret())


def router(state: LinkedInState) -> APIRouter:
    api = APIRouter()

    @api.api_route("/oauth/v2/authorization", methods=["GET", "POST"])
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

    @api.post("/oauth/v2/accessToken")
    async def access_token(request: Request) -> Response:
        form = await form_of(request)
        if not client_ok(form):
            return oauth_error(401, "invalid_client", "Client authentication failed")
        if form.get("grant_type") == "authorization_code":
            return by_code(form)
        if form.get("grant_type") == "refresh_token":
            return by_refresh(form)
        return oauth_error(400, "unsupported_grant_type", "grant type not supported")

    def by_code(form: dict[str, str]) -> Response:
        info = state.take_code(form.get("code", ""), state.config["code_ttl_s"])
        if info is None:
            return oauth_error(400, "invalid_request", "Unable to retrieve access token: authorization code not found")
        verifier_ok = not info.get("challenge") or pkce_verifies(info["challenge"], info["method"],
                                                                 form.get("code_verifier"))
        if info["redirect_uri"] != form.get("redirect_uri") or not verifier_ok:
            return oauth_error(
                400,
                "invalid_redirect_uri",
                "Unable to retrieve access token: appid/redirect "
                "uri/code verifier does not match authorization code.",
            )
        body = state.issue_tokens(info["user"], CLIENT_ID, info["scopes"], int(state.config["access_ttl_s"]),
                                  with_refresh=bool(state.config["issue_refresh"]))
        if "refresh_token" in body:
            body["refresh_token_expires_in"] = 31536000
        return JSONResponse({**body, "scope": ",".join(info["scopes"])})

    def by_refresh(form: dict[str, str]) -> Response:
        rt = form.get("refresh_token", "")
        with state.lock:
            grant = state.refresh.get(rt)
            if grant is None or grant.revoked:
                return oauth_error(400, "invalid_request", "The provided refresh token is invalid or expired")
            if state.config["rotate_refresh"]:
                grant.revoked = True
        body = state.issue_tokens(grant.user, CLIENT_ID, grant.scopes, int(state.config["access_ttl_s"]),
                                  with_refresh=bool(state.config["rotate_refresh"]))
        if not state.config["rotate_refresh"]:
            body.pop("refresh_token", None)  # same refresh token keeps working; not re-sent
        return JSONResponse({**body, "scope": ",".join(grant.scopes)})

    @api.post("/oauth/v2/introspectToken")
    async def introspect(request: Request) -> Response:
        form = await form_of(request)
        if not client_ok(form):
            return oauth_error(401, "invalid_client", "Client authentication failed")
        g = state.access.get(form.get("token", ""))
        if g is None:
            return JSONResponse({"active": False, "status": "revoked"})
        status = "active" if g.live() else ("revoked" if g.revoked else "expired")
        return JSONResponse({"active": g.live(), "client_id": CLIENT_ID, "status": status, "auth_type": "3L",
                             "scope": ",".join(g.scopes), "expires_at": int(g.expires_at or 0)})

    @api.post("/oauth/v2/revoke")
    async def revoke(request: Request) -> Response:
        if not state.config["revoke_supported"]:
            return li_error(404, "Not Found")
        form = await form_of(request)
        if not client_ok(form):
            return oauth_error(401, "invalid_client", "Client authentication failed")
        state.revoke_grant(form.get("token", ""))
        return JSONResponse({})

    @api.get("/v2/userinfo")
    def userinfo(request: Request) -> Response:
        g = state.grant_for(bearer(request))
        if g is None:
            return li_error(401, "Invalid access token", 65600)
        sub = state.person(g.user).rsplit(":", 1)[-1]
        return JSONResponse({
            "sub": sub,
            "name": g.user.title(),
            "given_name": g.user.title(),
            "family_name": "Sandbox",
            "picture": f"https://media.licdn.example/{sub}.jpg",
            "locale": {"country": "US", "language": "en"},
            "email": f"{g.user}@example.com",
            "email_verified": True,
        })

    return api
