"""Facebook Login: the dialog (PKCE when a challenge is sent), code → short-lived → long-lived user token,
``debug_token``, ``/me`` and ``/me/accounts`` (the Page tokens)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes.kit import local_secret, stable_id
from lily.local.sandboxes.meta.state import APP_ID, MetaState, graph_error, invalid_token
from lily.local.sandboxes.oauth import PKCE_METHODS, approve_flow, bearer, form_of, pkce_verifies

TASKS = ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"]


def app_secret() -> str:
    return local_secret("social-apps")["meta_app_secret"]


def router(state: MetaState) -> APIRouter:
    api = APIRouter()

    @api.api_route("/{version}/dialog/oauth", methods=["GET", "POST"])
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

    @api.get("/{version}/oauth/access_token")
    def access_token(version: str, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != APP_ID or not hmac.compare_digest(q.get("client_secret", ""), app_secret()):
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

    @api.get("/{version}/debug_token")
    def debug_token(version: str, request: Request) -> Response:
        if request.query_params.get("access_token") != f"{APP_ID}|{app_secret()}":
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

    @api.get("/{version}/me")
    def me(version: str, request: Request) -> Response:
        g = state.grant_for(bearer(request))
        if g is None:
            return invalid_token()
        if g.extra.get("page_id"):
            page = next(p for p in state.pages_of(g.user) if p["id"] == g.extra["page_id"])
            return JSONResponse({"id": page["id"], "name": page["name"]})
        return JSONResponse({"id": stable_id("user", g.user), "name": g.user.title()})

    @api.get("/{version}/me/accounts")
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
                "access_token": state.page_token(g.user, p),
                "tasks": list(TASKS),
                "picture": {"data": {"url": f"https://scontent.example/{p['id']}.jpg"}},
            }
            for p in state.pages_of(g.user)
        ]
        return JSONResponse({"data": data, "paging": {"cursors": {"before": "QVFIU", "after": "QVFIU"}}})

    return api
