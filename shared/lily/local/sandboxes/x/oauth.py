"""X's OAuth 2.0 with PKCE: ``/i/oauth2/authorize``, ``/2/oauth2/token`` (both grants; refresh tokens rotate,
single use, under the switch ``rotate_refresh``), ``/2/oauth2/revoke``; the client authenticates with HTTP Basic."""

from __future__ import annotations

import base64
import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from lily.local.sandboxes.controls import json_error
from lily.local.sandboxes.kit import local_secret
from lily.local.sandboxes.oauth import PKCE_METHODS, approve_flow, form_of, pkce_verifies
from lily.local.sandboxes.x.state import CLIENT_ID, XState

UNAUTHORIZED_CLIENT = {"error": "unauthorized_client", "error_description": "Missing valid authorization header"}


def client_ok(request: Request) -> bool:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return False
    try:
        cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
    except ValueError:
        return False
    return cid == CLIENT_ID and hmac.compare_digest(secret, local_secret("social-apps")["x_client_secret"])


def router(state: XState) -> APIRouter:
    api = APIRouter()

    @api.api_route("/i/oauth2/authorize", methods=["GET", "POST"])
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

    @api.post("/2/oauth2/token")
    async def token(request: Request) -> Response:
        form = await form_of(request)
        if not client_ok(request):
            return json_error(401, UNAUTHORIZED_CLIENT)
        if form.get("grant_type") == "authorization_code":
            return by_code(form)
        if form.get("grant_type") == "refresh_token":
            return by_refresh(form)
        return json_error(400, {"error": "unsupported_grant_type", "error_description": "unsupported grant"})

    def by_code(form: dict[str, str]) -> Response:
        info = state.take_code(form.get("code", ""), state.config["code_ttl_s"])
        if info is None or info["redirect_uri"] != form.get("redirect_uri"):
            return json_error(400, {"error": "invalid_request",
                                    "error_description": "Value passed for the authorization code was invalid."})
        if not pkce_verifies(info["challenge"], info["method"], form.get("code_verifier")):
            return json_error(400, {"error": "invalid_request",
                                    "error_description": "Value passed for the code_verifier was invalid."})
        scopes = info["scopes"]
        body = state.issue_tokens(
            info["user"], CLIENT_ID, scopes, state.config["access_ttl_s"], with_refresh="offline.access" in scopes
        )
        return JSONResponse({**body, "scope": " ".join(scopes)})

    def by_refresh(form: dict[str, str]) -> Response:
        rt = form.get("refresh_token", "")
        with state.lock:
            grant = state.refresh.get(rt)
            if grant is None or grant.revoked:
                return json_error(400, {"error": "invalid_request",
                                        "error_description": "Value passed for the token was invalid."})
            if state.config["rotate_refresh"]:
                grant.revoked = True  # single use
        body = state.issue_tokens(grant.user, CLIENT_ID, grant.scopes, state.config["access_ttl_s"],
                                  with_refresh=state.config["rotate_refresh"])
        if not state.config["rotate_refresh"]:
            body["refresh_token"] = rt
        return JSONResponse({**body, "scope": " ".join(grant.scopes)})

    @api.post("/2/oauth2/revoke")
    async def revoke(request: Request) -> Response:
        form = await form_of(request)
        if not client_ok(request):
            return json_error(401, UNAUTHORIZED_CLIENT)
        state.revoke_grant(form.get("token", ""))
        return JSONResponse({"revoked": True})

    return api
