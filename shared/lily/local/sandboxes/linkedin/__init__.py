"""LinkedIn sandbox: OAuth 2.0 (authorization, accessToken with both grants, introspectToken, revoke),
``/v2/userinfo``, organization ACLs and organizations, ``/rest/posts`` (201 + ``x-restli-id``), the
Images API, statistics, ``LinkedIn-Version`` enforcement, 429s without rate-limit headers, and webhooks
signed as ``X-LI-Signature`` = hex HMAC-SHA256(clientSecret, "hmacsha256=" + body).
Facts: https://learn.microsoft.com/en-us/linkedin/ (Community Management API, Posts API, OAuth).
Switches (UNVERIFIED behaviours): ``rotate_refresh`` (False), ``issue_refresh`` (True), ``member_read``
(False: the app is not approved for the restricted ``r_member_social``, so asking for it is refused),
``revoke_supported`` (True), ``supported_months`` (12: how long a version stays active), ``min_version``
("": an extra floor), ``orgs_per_user`` (1), ``signature_style`` ("prefixed" | "header_prefix"),
``restli_required`` ("finders_and_posts" | "all" | "none").

As the real API: ``LinkedIn-Version`` must be an active ``YYYYMM`` (optionally ``.NN``) version, one of the
last ``supported_months`` months, else 426 ``NONEXISTENT_VERSION`` ("Requested version … is not active");
reading a member's posts needs ``r_member_social`` in the grant (an organization's: ``r_organization_social``);
finders (``q=``) and the Posts API need ``X-Restli-Protocol-Version: 2.0.0``.

Modules: :mod:`.state` (switches, the ``/rest`` guard), :mod:`.oauth`, :mod:`.posts`, :mod:`.organizations`.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import FastAPI
from fastapi.responses import Response

from lily.local.sandboxes.controls import Wire, sandbox_app
from lily.local.sandboxes.kit import Fault, Sandbox, start_platform
from lily.local.sandboxes.linkedin import comments, oauth, organizations, posts, webhooks
from lily.local.sandboxes.linkedin.state import CLIENT_ID, LinkedInState, client_secret, li_error

__all__ = ["CLIENT_ID", "LinkedInState", "create_app", "start"]


def wire(state: LinkedInState) -> Wire:
    def rate_limited(f: Fault) -> Response:
        return li_error(429, "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.")

    def server_error() -> Response:
        return li_error(503, "Service Unavailable")

    def signer(raw: bytes) -> dict[str, str]:
        key = client_secret().encode()
        if state.config["signature_style"] == "header_prefix":
            return {"X-LI-Signature": "hmacsha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()}
        return {"X-LI-Signature": hmac.new(key, b"hmacsha256=" + raw, hashlib.sha256).hexdigest()}

    return Wire(rate_limited=rate_limited, server_error=server_error, signer=signer,
                api_prefixes=("/rest/", "/v2/", "/oauth/v2/accessToken", "/oauth/v2/introspect"),
                engagement=lambda e: webhooks.engagement(state, e), webhook_path="/webhooks/linkedin")


def create_app(state: LinkedInState) -> FastAPI:
    app = sandbox_app(state, "LinkedIn sandbox", wire(state))
    for module in (oauth, organizations, posts, comments):
        app.include_router(module.router(state))
    return app


def start() -> Sandbox[LinkedInState]:
    state = LinkedInState()
    return start_platform("linkedin", create_app(state), state, lambda base: {
        "LILY_SOCIAL_LINKEDIN_AUTH_BASE": base,
        "LILY_SOCIAL_LINKEDIN_API_BASE": base,
    })
