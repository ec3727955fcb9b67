"""Social accounts HTTP API: connect (OAuth), complete, select accounts, list, inspect, disconnect.

Route table (the test ``test_route_table_offers_one_way_in`` pins it): every route that can create a
connection ends in ``connect.complete`` or ``connect.select_accounts``, which both store through the one
quota-checked path.
"""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from urllib.parse import urlencode, urlparse

from fastapi import Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from lily.composition import social_ports
from lily.core.config import get_settings
from lily.core.errors import LilyError
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity.access import SESSIONS_ONLY, OrgAccess, OrgRole, org_access, public_route
from lily.identity.ratelimit import rate_limit_middleware
from lily.social import connect as oauth_connect  # aliases: the route functions below take the modules' names
from lily.social import connections as connection_store
from lily.social import constraints
from lily.social import notices as reauth_notices
from lily.social.constraints import Platform
from lily.social.platforms import PLATFORMS
from lily.social.ports import SocialPorts
from lily.social.schemas import (
    CompleteRequest,
    ConnectionPage,
    ConnectionView,
    ConnectRequest,
    ConnectResult,
    ConnectStart,
    NoticePage,
    PlatformsOut,
    SelectRequest,
    ValidateRequest,
    ValidateResult,
)
from lily.social.settings import social_settings

settings = get_settings()
app = create_app("Lily social accounts", "Connect X, Facebook Pages, Instagram Business and LinkedIn accounts",
                 middleware=[rate_limit_middleware])
TAGS = ["social"]
connector = org_access(OrgRole.admin, SESSIONS_ONLY)  # an OAuth flow belongs to a person and their browser
manager = org_access(OrgRole.admin, "social:write")
reader = org_access(OrgRole.viewer, "social:read")


@app.get("/api/social/platforms", response_model=PlatformsOut, tags=TAGS, dependencies=[Depends(public_route)])
def platforms() -> PlatformsOut:
    """The platforms Lily connects to and their content rules."""
    return PlatformsOut(platforms=[constraints.rules_for(p) for p in PLATFORMS])


@app.post("/api/orgs/{org_id}/social/connect/{platform}", status_code=201, response_model=ConnectStart, tags=TAGS,
          responses=errors(400))
def connect(
    org_id: str,
    platform: Platform,
    response: Response,
    body: ConnectRequest | None = None,
    access: OrgAccess = Depends(connector),
) -> ConnectStart:
    """Start an OAuth authorization: open ``authorize_url`` within 10 minutes, in this browser (the callback
    checks the HttpOnly cookie set here) or complete it through ``/complete`` as the same user."""
    flow = oauth_connect.start_connect(org_id, access.principal.subject, platform, body.redirect_uri if body else None)
    path, secure = _callback_cookie_scope(platform)
    response.set_cookie(flow.cookie_name, flow.browser_secret, max_age=social_settings().state_ttl_s, path=path,
                        secure=secure, httponly=True, samesite="lax")  # lax: sent on the platform's redirect back
    return flow.start


def _callback_cookie_scope(platform: str) -> tuple[str, bool]:
    """The flow cookie goes only to the callback URL: its path, and Secure when that URL is https."""
    url = urlparse(social_settings().callback_url(platform))
    return url.path, url.scheme == "https"


@app.get(
    "/api/social/callback/{platform}", response_model=ConnectResult, tags=TAGS, dependencies=[Depends(public_route)],
    responses={303: {"description": "A browser navigation (Accept: text/html): back to the console's connections "
                                    "page with ?connected= or ?error="}, **errors(400, 409)},
)
def callback(
    platform: Platform,
    request: Request,
    response: Response,
    state: str | None = Query(None, max_length=512),
    code: str | None = Query(None, max_length=2048),
    error: str | None = Query(None, max_length=200),
    ports: SocialPorts = Depends(social_ports),
) -> ConnectResult:
    """The platform redirects the browser here. Public: the single-use state and the flow cookie of the browser
    that started it authenticate it."""
    cookie = oauth_connect.flow_cookie_name(state) if state else None
    browser = _browser_navigation(request)
    try:
        result = oauth_connect.complete(ports, platform, code, state, error=error,
                                        browser_secret=request.cookies.get(cookie) if cookie else None)
    except LilyError as exc:
        if not browser:
            raise
        return RedirectResponse(f"{CONSOLE_CONNECTIONS}?{urlencode({'error': exc.code.value})}", status_code=303)
    if browser:  # a person in the console: back to its connections page, which reads the result through the API
        query = {"connected": platform, **({"selection": result.selection_id} if result.selection_id else {})}
        response = RedirectResponse(f"{CONSOLE_CONNECTIONS}?{urlencode(query)}", status_code=303)
    if cookie:
        path, secure = _callback_cookie_scope(platform)
        response.delete_cookie(cookie, path=path, secure=secure, httponly=True, samesite="lax")
    return response if browser else result


CONSOLE_CONNECTIONS = "/app/connections"


def _browser_navigation(request: Request) -> bool:
    """A browser following the platform's redirect asks for a page (``Accept: text/html``); API clients (JSON or
    ``*/*``) get the JSON answer as before."""
    return request.headers.get("sec-fetch-mode") == "navigate" or "text/html" in request.headers.get("accept", "")


@app.post("/api/orgs/{org_id}/social/connect/{platform}/complete", response_model=ConnectResult, tags=TAGS,
          responses=errors(400, 409))
def complete(
    org_id: str, platform: Platform, body: CompleteRequest, access: OrgAccess = Depends(connector),
    ports: SocialPorts = Depends(social_ports)
) -> ConnectResult:
    """For apps that receive the redirect themselves: hand over code and state as the user who started it."""
    return oauth_connect.complete(
        ports, platform, body.code, body.state, redirect_uri=body.redirect_uri, user_id=access.principal.subject,
        org_id=org_id
    )


@app.get("/api/orgs/{org_id}/social/selections/{selection_id}", response_model=ConnectResult, tags=TAGS)
def selection(org_id: str, selection_id: str, access: OrgAccess = Depends(connector)) -> ConnectResult:
    return oauth_connect.selection_accounts(org_id, access.principal.subject, selection_id)


@app.post("/api/orgs/{org_id}/social/selections/{selection_id}", response_model=ConnectResult, tags=TAGS)
def select(
    org_id: str, selection_id: str, body: SelectRequest, access: OrgAccess = Depends(connector),
    ports: SocialPorts = Depends(social_ports)
) -> ConnectResult:
    """Connect the chosen Pages / Instagram accounts / LinkedIn organizations of one login."""
    return oauth_connect.select_accounts(ports, org_id, access.principal.subject, selection_id, body.account_ids)


@app.get("/api/orgs/{org_id}/social/connections", response_model=ConnectionPage, tags=TAGS)
def connections(org_id: str, access: OrgAccess = Depends(reader), page: PageParams = Depends(page_params)
                ) -> ConnectionPage:
    return connection_store.list_connections(org_id, page)


@app.get("/api/orgs/{org_id}/social/connections/{connection_id}", response_model=ConnectionView, tags=TAGS)
def connection(
    org_id: str, connection_id: str, access: OrgAccess = Depends(reader)
) -> ConnectionView:
    return connection_store.get_connection(org_id, connection_id)


@app.delete("/api/orgs/{org_id}/social/connections/{connection_id}", status_code=204, tags=TAGS)
def disconnect(org_id: str, connection_id: str, access: OrgAccess = Depends(manager),
               ports: SocialPorts = Depends(social_ports)) -> Response:
    """Forget the account and revoke Lily's access at the platform where its API allows."""
    connection_store.disconnect(ports, org_id, connection_id, access.principal.subject)
    return Response(status_code=204)


@app.get("/api/orgs/{org_id}/social/notices", response_model=NoticePage, tags=TAGS)
def notices(org_id: str, access: OrgAccess = Depends(reader), page: PageParams = Depends(page_params)) -> NoticePage:
    """Connections that need attention (needs_reauth), newest first."""
    return reauth_notices.notices(org_id, page)


@app.post("/api/orgs/{org_id}/social/validate", response_model=ValidateResult, tags=TAGS)
def validate(
    org_id: str, body: ValidateRequest, access: OrgAccess = Depends(reader)
) -> ValidateResult:
    """Check a post against a platform's rules (the scheduler runs the same validator)."""
    found = constraints.violations(body.platform, body.text, body.media)
    return ValidateResult(
        platform=body.platform,
        valid=not found,
        length=constraints.text_length(body.platform, body.text),
        violations=found,
    )


handler = http_handler(app)
