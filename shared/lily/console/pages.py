"""The console's pages under ``/app``: server-rendered Jinja2 templates, htmx for the parts that update in place.

Kept whole (past ~350 lines) on purpose: it is the console's one route table, each route a few lines that call the
API through :mod:`lily.console.client` and render a template; splitting it per page would scatter the session and
CSRF handling every route shares (:class:`Page`).

Every route is declared with ``Depends(public_route)``: the console authenticates nobody itself; the API does, with
the access token this request obtained from the session cookie (:mod:`lily.console.session`).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from lily.console import charts, session
from lily.console.client import CSRF_HEADER, FLOW_COOKIE_PREFIX, ApiError
from lily.console.errors import SIGN_IN, Problem, plain
from lily.console.settings import console_settings

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".txt": "text/plain"}
PLATFORMS = ("x", "linkedin", "facebook", "instagram")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: {media}; "
       "connect-src 'self'; form-action 'self' {forms}; frame-ancestors 'none'; base-uri 'none'")

templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


def compile_templates() -> int:
    """Compile every template now (into a SnapStart snapshot); without one, each compiles at its first render."""
    names = templates.list_templates()
    for name in names:
        templates.get_template(name)
    return len(names)


# A form's redirect is held to form-action too: connecting an account and checking out leave the console for the
# platform's consent screen or Stripe's page.
FORM_TARGETS = ("https://x.com https://twitter.com https://www.linkedin.com https://www.facebook.com "
                "https://checkout.stripe.com https://billing.stripe.com")
LOCAL_ORIGINS = "http://127.0.0.1:* http://localhost:*"


def csp() -> str:
    """Images come from the media bucket's presigned URLs (https in the cloud); in local mode (an http API) the
    emulator's and the sandboxes' loopback origins stand in for S3, the platforms and Stripe."""
    local = console_settings().api_base_url.startswith("http://")
    return CSP.format(media=f"https: {LOCAL_ORIGINS}" if local else "https:",
                      forms=f"{FORM_TARGETS} {LOCAL_ORIGINS}" if local else FORM_TARGETS)


class Page:
    """One request: its session, its cookies to set, and the helpers every route uses."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.cookies = dict(request.cookies)
        self.session = session.resume(console_settings().api_base_url, self.cookies)
        self.api = self.session.api
        self._orgs: list[dict] | None = None

    # --- organization in use
    @property
    def orgs(self) -> list[dict]:
        if self._orgs is None:
            self._orgs = self.api.items("list_orgs", {"limit": 100}) if self.session.signed_in else []
        return self._orgs

    @property
    def org(self) -> dict | None:
        chosen = self.cookies.get(session.ORG_COOKIE)
        return next((o for o in self.orgs if o["org_id"] == chosen), None) or (self.orgs[0] if self.orgs else None)

    def choose_org(self, org_id: str) -> None:
        self.session.changes.append(session.CookieChange(session.ORG_COOKIE, org_id))
        self.cookies[session.ORG_COOKIE] = org_id

    # --- answers
    def _finish(self, response: Response) -> Response:
        secure = console_settings().api_base_url.startswith("https://")
        for c in self.session.changes:
            if c.value is None:
                response.delete_cookie(c.name, path=session.PATH, secure=secure, httponly=c.http_only,
                                       samesite="lax")
            else:
                response.set_cookie(c.name, c.value, max_age=c.max_age, path=session.PATH, secure=secure,
                                    httponly=c.http_only, samesite="lax")
        response.headers["Content-Security-Policy"] = csp()
        self.api.close()
        return response

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        org = self.org if self.session.signed_in else None
        html = templates.get_template(template).render(
            csrf=self.session.csrf, user=self.session.user, org=org, orgs=self.orgs if org else [],
            path=self.request.url.path, is_htmx=self.request.headers.get("hx-request") == "true", **context)
        return self._finish(HTMLResponse(html, status_code=status))

    def redirect(self, to: str) -> Response:
        if self.request.headers.get("hx-request") == "true":
            return self._finish(Response(status_code=204, headers={"HX-Redirect": to}))
        return self._finish(RedirectResponse(to, status_code=303))

    def problem(self, exc: ApiError, template: str, status: int | None = None,
                overrides: dict[str, str] | None = None, **context: Any) -> Response:
        if exc.code in ("AUTH_001", "AUTH_002") and self.session.signed_in:  # the session is over, not a wrong code
            session.end(self.session)
            return self.redirect("/app/signin?" + urlencode({"next": self.request.url.path}))
        return self.render(template, status=status or (exc.status if exc.status < 500 else 502),
                           problem=plain(exc, overrides), **context)

    def form(self, data: FormData) -> dict[str, Any]:
        """The posted form (parsed by :func:`form_data`), after its CSRF token is checked (403 page otherwise)."""
        presented = data.get("csrf") or self.request.headers.get(CSRF_HEADER)
        if not session.csrf_ok(self.cookies.get(session.CSRF_COOKIE), presented if isinstance(presented, str)
                               else None):
            raise CsrfRefused()
        return {k: (v if not isinstance(v, str) else v.strip()) for k, v in data.multi_items()
                if k != "csrf"} | {"_list": data}


class CsrfRefused(Exception):
    pass


class SignInNeeded(Exception):
    pass


async def form_data(request: Request) -> FormData:
    """The posted form, read on the event loop; the routes themselves are sync (FastAPI runs them in its thread
    pool) because every API call they make blocks, and in local mode the API answers on this same server."""
    return await request.form()


def page(request: Request) -> Page:
    return Page(request)


def signed_in(request: Request) -> Page:
    p = Page(request)
    if not p.session.signed_in:
        p.api.close()
        raise SignInNeeded()
    return p


def _org_id(p: Page) -> str | None:
    return p.org["org_id"] if p.org else None


def build_router(public_route: Any) -> APIRouter:
    router = APIRouter(prefix="/app", include_in_schema=False, dependencies=[Depends(public_route)])

    @router.get("/static/{name}")
    def static(name: str) -> Response:
        f = STATIC / name
        if "/" in name or f.suffix not in STATIC_TYPES or not f.is_file():
            return Response(status_code=404)
        return Response(f.read_bytes(), media_type=STATIC_TYPES[f.suffix],
                        headers={"Cache-Control": "public, max-age=3600", "Content-Security-Policy": csp()})

    # --- accounts -----------------------------------------------------------------------------------------
    @router.get("/signin")
    def signin_form(p: Page = Depends(page), next: str = "/app", verified: str | None = None,  # noqa: A002
                    reset: str | None = None, signed_out: str | None = None) -> Response:
        if p.session.signed_in:
            return p.redirect("/app")
        notice = ("Your email is verified. Sign in to continue." if verified else
                  "Your password was changed. Sign in with the new one." if reset else
                  "You are signed out." if signed_out else None)
        return p.render("signin.html", next=_local_path(next), notice=notice)

    @router.post("/signin")
    def signin(p: Page = Depends(page), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        try:
            answer = p.api.call("login", body={"email": f.get("email"), "password": f.get("password")})
        except ApiError as exc:
            return p.problem(exc, "signin.html", email=f.get("email"), next=_local_path(f.get("next")),
                             overrides=SIGN_IN)
        if answer.body.get("mfa_required"):
            return p.render("signin_2fa.html", challenge=answer.body["challenge"], next=_local_path(f.get("next")))
        session.start(p.session, answer.body, answer.cookies)
        return p.redirect(_local_path(f.get("next")))

    @router.post("/signin/2fa")
    def signin_2fa(p: Page = Depends(page), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        code, backup = f.get("code") or None, f.get("backup_code") or None
        try:
            answer = p.api.call("login_2fa", body={"challenge": f.get("challenge"), "code": code,
                                                   "backup_code": backup})
        except ApiError as exc:
            return p.problem(exc, "signin_2fa.html", challenge=f.get("challenge"), next=_local_path(f.get("next")))
        session.start(p.session, answer.body, answer.cookies)
        return p.redirect(_local_path(f.get("next")))

    @router.post("/signout")
    def signout(p: Page = Depends(page), data: FormData = Depends(form_data)) -> Response:
        p.form(data)
        session.logout(p.session, p.cookies)
        return p.redirect("/app/signin?signed_out=1")

    @router.get("/signup")
    def signup_form(p: Page = Depends(page)) -> Response:
        return p.render("signup.html")

    @router.post("/signup")
    def signup(p: Page = Depends(page), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        try:
            p.api.send("register", {"email": f.get("email"), "password": f.get("password")})
        except ApiError as exc:
            return p.problem(exc, "signup.html", email=f.get("email"))
        return p.render("check_email.html", email=f.get("email"), purpose="verify")

    @router.get("/verify")
    def verify_form(p: Page = Depends(page), token: str | None = None) -> Response:
        return p.render("verify.html", token=token or "")

    @router.post("/verify")
    def verify(p: Page = Depends(page), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        try:
            p.api.send("verify_email", {"token": f.get("token")})
        except ApiError as exc:
            return p.problem(exc, "verify.html", token=f.get("token"))
        return p.redirect("/app/signin?verified=1")

    @router.get("/reset")
    def reset_form(p: Page = Depends(page), token: str | None = None) -> Response:
        return p.render("reset.html", token=token or "")

    @router.post("/reset")
    def reset(p: Page = Depends(page), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        try:
            if f.get("token"):
                p.api.send("reset_confirm", {"token": f.get("token"), "new_password": f.get("new_password")})
                return p.redirect("/app/signin?reset=1")
            p.api.send("reset_request", {"email": f.get("email")})
        except ApiError as exc:
            return p.problem(exc, "reset.html", token=f.get("token") or "")
        return p.render("check_email.html", email=f.get("email"), purpose="reset")

    @router.get("/security")
    def security(p: Page = Depends(signed_in)) -> Response:
        return p.render("security.html", step="start")

    @router.post("/security/2fa/setup")
    def totp_setup(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        try:
            setup = p.api.send("totp_setup", {"password": f.get("password")})
        except ApiError as exc:
            return p.problem(exc, "security.html", step="start")
        return p.render("security.html", step="confirm", setup=setup)

    @router.post("/security/2fa/enable")
    def totp_enable(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        try:
            enabled = p.api.send("totp_enable", {"code": f.get("code")})
        except ApiError as exc:
            return p.problem(exc, "security.html", step="confirm",
                             setup={"secret": f.get("secret"), "provisioning_uri": f.get("provisioning_uri")})
        return p.render("security.html", step="done", backup_codes=enabled["backup_codes"])

    # --- organizations ------------------------------------------------------------------------------------
    @router.get("/orgs")
    def orgs(p: Page = Depends(signed_in)) -> Response:
        return p.render("orgs.html")

    @router.post("/orgs")
    def create_org(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        try:
            org = p.api.send("create_org", {"name": f.get("name")})
        except ApiError as exc:
            return p.problem(exc, "orgs.html")
        p.choose_org(org["org_id"])
        return p.redirect("/app")

    @router.post("/orgs/switch")
    def switch_org(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        if any(o["org_id"] == f.get("org_id") for o in p.orgs):
            p.choose_org(f["org_id"])
        return p.redirect("/app")

    @router.get("/members")
    def members(p: Page = Depends(signed_in)) -> Response:
        if not p.org:
            return p.redirect("/app/orgs")
        try:
            items = p.api.items("list_members", org_id=_org_id(p))
        except ApiError as exc:
            return p.problem(exc, "members.html", members=[])
        return p.render("members.html", members=items)

    @router.post("/members/invite")
    def invite(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        try:
            p.api.send("invite", {"email": f.get("email"), "role": f.get("role")}, org_id=_org_id(p))
        except ApiError as exc:
            return p.problem(exc, "members.html", members=_safe_items(p, "list_members", org_id=_org_id(p)))
        return p.render("members.html", members=_safe_items(p, "list_members", org_id=_org_id(p)),
                        notice=f"Invitation sent to {f.get('email')}.")

    @router.post("/members/{user_id}/role")
    def set_role(user_id: str, p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        try:
            p.api.send("set_role", {"role": f.get("role")}, org_id=_org_id(p), user_id=user_id)
        except ApiError as exc:
            return p.problem(exc, "members.html", members=_safe_items(p, "list_members", org_id=_org_id(p)))
        return p.redirect("/app/members")

    @router.get("/api-keys")
    def api_keys(p: Page = Depends(signed_in)) -> Response:
        if not p.org:
            return p.redirect("/app/orgs")
        return p.render("api_keys.html", keys=_safe_items(p, "list_api_keys", org_id=_org_id(p)),
                        ent=_safe(p, "entitlements", org_id=_org_id(p)))

    @router.post("/api-keys")
    def create_api_key(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        scopes = [s for s in f["_list"].getlist("scopes") if isinstance(s, str)]
        try:
            created = p.api.send("create_api_key", {"name": f.get("name"), "scopes": scopes,
                                                    "role": f.get("role") or "editor"}, org_id=_org_id(p))
        except ApiError as exc:
            return p.problem(exc, "api_keys.html", keys=_safe_items(p, "list_api_keys", org_id=_org_id(p)))
        return p.render("api_keys.html", keys=_safe_items(p, "list_api_keys", org_id=_org_id(p)), created=created)

    @router.post("/api-keys/{key_id}/revoke")
    def revoke_api_key(key_id: str, p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        p.form(data)
        try:
            p.api.call("revoke_api_key", org_id=_org_id(p), key_id=key_id)
        except ApiError as exc:
            return p.problem(exc, "api_keys.html", keys=_safe_items(p, "list_api_keys", org_id=_org_id(p)))
        return p.redirect("/app/api-keys")

    # --- dashboard ----------------------------------------------------------------------------------------
    @router.get("")
    @router.get("/")
    def dashboard(p: Page = Depends(signed_in)) -> Response:
        if not p.org:
            return p.render("orgs.html", first=True)
        org_id = _org_id(p)
        usage = _safe_items(p, "usage", org_id=org_id)
        upcoming = _safe_items(p, "list_posts", {"status": "scheduled", "limit": 10}, org_id=org_id)
        failed = _safe_items(p, "list_posts", {"status": "failed", "limit": 5}, org_id=org_id)
        notices = _safe_items(p, "notices", org_id=org_id)
        near = [u for u in usage if u.get("limit") and u["used"] >= 0.8 * u["limit"]]
        return p.render("dashboard.html", usage=usage, upcoming=upcoming, failed=failed, notices=notices,
                        near=near)

    # --- connections --------------------------------------------------------------------------------------
    @router.get("/connections")
    def connections(p: Page = Depends(signed_in), connected: str | None = None, error: str | None = None) -> Response:
        if not p.org:
            return p.redirect("/app/orgs")
        problem = plain(ApiError(400, error, "The connection was not completed")) if error else None
        return p.render("connections.html", platforms=PLATFORMS, connected=connected, problem=problem,
                        connections=_safe_items(p, "list_connections", org_id=_org_id(p)))

    @router.post("/connections/{platform}/connect")
    def connect(platform: str, p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        p.form(data)
        if platform not in PLATFORMS:
            return not_found(p)
        try:
            answer = p.api.call("connect", org_id=_org_id(p), platform=platform)
        except ApiError as exc:
            return p.problem(exc, "connections.html", platforms=PLATFORMS,
                             connections=_safe_items(p, "list_connections", org_id=_org_id(p)))
        response = p.redirect(answer.body["authorize_url"])
        # The API's flow cookie proves at its callback that this browser started the flow: hand it on as set.
        for raw in answer.set_cookies:
            if raw.startswith(FLOW_COOKIE_PREFIX):
                response.headers.append("set-cookie", raw)
        return response

    @router.post("/connections/{connection_id}/disconnect")
    def disconnect(connection_id: str, p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        p.form(data)
        try:
            p.api.call("disconnect", org_id=_org_id(p), connection_id=connection_id)
        except ApiError as exc:
            return p.problem(exc, "connections.html", platforms=PLATFORMS,
                             connections=_safe_items(p, "list_connections", org_id=_org_id(p)))
        return p.redirect("/app/connections")

    # --- composer -----------------------------------------------------------------------------------------
    @router.get("/compose")
    def compose(p: Page = Depends(signed_in)) -> Response:
        if not p.org:
            return p.redirect("/app/orgs")
        ent = _safe(p, "entitlements", org_id=_org_id(p))
        queues = _safe_items(p, "list_queues", org_id=_org_id(p)) if ent and "advanced_scheduling" in ent.get(
            "features", []) else []
        return p.render("compose.html", connections=_live_connections(p), drafts=[], platforms=PLATFORMS,
                        ent=ent, queues=queues)

    @router.post("/compose/generate")
    def generate(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        platforms = [x for x in f["_list"].getlist("platforms") if x in PLATFORMS] or ["x"]
        try:
            out = p.api.send("generate", {"topic": f.get("topic"), "platforms": platforms, "n": 1},
                             org_id=_org_id(p))
        except ApiError as exc:
            return p.problem(exc, "drafts.html", status=200, drafts=[])
        return p.render("drafts.html", drafts=out["drafts"])

    @router.post("/compose/image")
    def image(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        try:
            job = p.api.send("generate_image", {"prompt": f.get("prompt"), "platform": f.get("platform") or "x",
                                                "quality": f.get("quality") or "draft",
                                                "content_context": f.get("text") or None}, org_id=_org_id(p))
        except ApiError as exc:
            return p.problem(exc, "image_job.html", status=200, job=None)
        return p.render("image_job.html", job=job, media=None)

    @router.get("/compose/image/{job_id}")
    def image_job(job_id: str, p: Page = Depends(signed_in)) -> Response:
        try:
            job = p.api.get("image_job", org_id=_org_id(p), job_id=job_id)
            media = p.api.get("get_media", org_id=_org_id(p), media_id=job["media_id"]) if job.get(
                "media_id") else None
        except ApiError as exc:
            return p.problem(exc, "image_job.html", status=200, job=None)
        return p.render("image_job.html", job=job, media=media)

    @router.post("/compose/upload")
    def upload(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        file = f.get("file")
        if file is None or isinstance(file, str) or not file.filename:
            return p.render("image_job.html", job=None, problem=Problem("Choose a file to upload.", "", "FORM"))
        content = file.file.read()
        try:
            up = p.api.send("create_upload", {"filename": file.filename, "content_type": file.content_type,
                                              "size": len(content)}, org_id=_org_id(p))
            r = httpx.post(up["url"], data=up["fields"], files={"file": (file.filename, content, file.content_type)},
                           timeout=30)
            if r.status_code >= 300:
                raise ApiError(502, "EXTERNAL_003", "The storage refused the upload")
            media = p.api.get("get_media", org_id=_org_id(p), media_id=up["media_id"])
        except ApiError as exc:
            return p.problem(exc, "image_job.html", status=200, job=None)
        return p.render("image_job.html", job=None, media=media)

    @router.post("/media/{media_id}/alt")
    def set_alt_text(media_id: str, p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        template = "image_job.html" if p.request.headers.get("hx-request") == "true" else "media_page.html"
        try:
            media = p.api.send("set_alt_text", {"alt_text": f.get("alt_text") or ""}, org_id=_org_id(p),
                               media_id=media_id)
        except ApiError as exc:
            return p.problem(exc, template, status=200, job=None,
                             media=_safe(p, "get_media", org_id=_org_id(p), media_id=media_id))
        return p.render(template, job=None, media=media, saved=True)

    @router.post("/compose")
    def save_post(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        ids = [c for c in f["_list"].getlist("connection_ids") if isinstance(c, str)]
        media_ids = [m for m in f["_list"].getlist("media_ids") if isinstance(m, str) and m]
        org_id = _org_id(p)
        post = None
        try:
            post = p.api.send("create_post", {
                "text": f.get("text") or "", "media_ids": media_ids, "first_comment": f.get("first_comment") or None,
                "targets": [{"connection_id": c} for c in ids]},
                headers={"Idempotency-Key": f.get("idem") or new_idempotency_key()}, org_id=org_id)
            if f.get("queue_id"):
                p.api.send("enqueue_post", {"queue_id": f.get("queue_id")}, org_id=org_id, post_id=post["post_id"])
            elif f.get("when"):
                p.api.send("schedule_post", {"scheduled_at": f.get("when"), "timezone": f.get("timezone") or
                                             (p.org or {}).get("timezone", "UTC")},
                           org_id=org_id, post_id=post["post_id"])
        except ApiError as exc:
            return p.problem(exc, "compose.html", connections=_live_connections(p), drafts=[],
                             platforms=PLATFORMS, form=f, ent=_safe(p, "entitlements", org_id=_org_id(p)),
                             saved_post=post)  # created, then not scheduled: it waits as a draft
        return p.redirect(f"/app/posts/{post['post_id']}")

    # --- posts: library, one post, calendar ---------------------------------------------------------------
    @router.get("/posts")
    def library(p: Page = Depends(signed_in), status: str | None = None, platform: str | None = None) -> Response:
        if not p.org:
            return p.redirect("/app/orgs")
        query = {"status": status or None, "platform": platform or None, "limit": 50}
        try:
            items = p.api.items("list_posts", query, org_id=_org_id(p))
        except ApiError as exc:
            return p.problem(exc, "library.html", posts=[], status=None, platform=None, platforms=PLATFORMS)
        return p.render("library.html", posts=items, status_filter=status, platform=platform, platforms=PLATFORMS)

    @router.get("/posts/{post_id}")
    def post(post_id: str, p: Page = Depends(signed_in)) -> Response:
        try:
            got = p.api.get("get_post", org_id=_org_id(p), post_id=post_id)
            media = [p.api.get("get_media", org_id=_org_id(p), media_id=m) for m in got.get("media_ids", [])]
        except ApiError as exc:
            if exc.status == 404:
                return not_found(p)
            return p.problem(exc, "post.html", post=None, media=[])
        return p.render("post.html", post=got, media=media)

    @router.get("/calendar")
    def calendar(p: Page = Depends(signed_in), view: str = "week", start: str | None = None) -> Response:
        if not p.org:
            return p.redirect("/app/orgs")
        view = "month" if view == "month" else "week"
        back = f"/app/calendar?{urlencode({'view': view, 'start': start or ''})}"
        try:
            cal = p.api.call("calendar", query={"view": view, "from": start}, org_id=_org_id(p)).body
        except ApiError as exc:
            return p.problem(exc, "calendar.html", cal=None, view=view, back=back)
        first = date.fromisoformat(cal["start"])
        if view == "week":
            prev, nxt = first - timedelta(days=7), first + timedelta(days=7)
        else:
            prev, nxt = (first - timedelta(days=1)).replace(day=1), (first + timedelta(days=32)).replace(day=1)
        return p.render("calendar.html", cal=cal, view=view, back=back, prev=prev.isoformat(), next=nxt.isoformat())

    @router.post("/calendar/{post_id}/reschedule")
    def reschedule(post_id: str, p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        try:
            p.api.send("reschedule", {"scheduled_at": f.get("when"), "timezone": (p.org or {}).get("timezone",
                                                                                                   "UTC")},
                       org_id=_org_id(p), post_id=post_id)
        except ApiError as exc:
            return p.problem(exc, "calendar.html", cal=None, view="week", back=_local_path(f.get("back")))
        return p.redirect(_local_path(f.get("back")) if f.get("back") else "/app/calendar")

    # --- analytics, research, brand -----------------------------------------------------------------------
    @router.get("/analytics")
    def analytics(p: Page = Depends(signed_in)) -> Response:
        if not p.org:
            return p.redirect("/app/orgs")
        try:
            top = p.api.get("top_posts", org_id=_org_id(p))
        except ApiError as exc:
            return p.problem(exc, "analytics.html", status=200, chart=None, rows=[])
        rows = top.get("rows", [])
        chart = charts.bars("Engagements of the top posts",
                            [(f"{r['platform']} {r['published_at'][:10]}",
                              float((r.get("likes") or 0) + (r.get("comments") or 0) + (r.get("shares") or 0)))
                             for r in rows]) if rows else None
        return p.render("analytics.html", chart=chart, rows=rows)

    @router.get("/research")
    def research(p: Page = Depends(signed_in)) -> Response:
        if not p.org:
            return p.redirect("/app/orgs")
        try:
            reports = p.api.items("research_reports", org_id=_org_id(p))
        except ApiError as exc:
            return p.problem(exc, "research.html", status=200, reports=[])
        return p.render("research.html", reports=reports)

    # --- brand and style vault ----------------------------------------------------------------------------
    @router.get("/brand")
    def brand(p: Page = Depends(signed_in)) -> Response:
        if not p.org:
            return p.redirect("/app/orgs")
        return _brand_page(p)

    @router.post("/brand")
    def put_brand(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        current = _safe(p, "get_brand", org_id=_org_id(p)) or {}
        body = {"tone": f.get("tone"), "industry": f.get("industry", ""), "audience": f.get("audience", ""),
                "keywords": _terms(f.get("keywords")), "avoid": _terms(f.get("avoid")),
                "banned_words": _terms(f.get("banned_words")), "emoji_policy": f.get("emoji_policy"),
                "default_hashtags": _terms(f.get("default_hashtags")),
                # kept as they are: the API replaces the whole profile
                "ctas": current.get("ctas") or {}, "example_posts": current.get("example_posts") or [],
                "expected_version": int(f.get("version") or 0)}
        try:
            p.api.send("put_brand", body, org_id=_org_id(p))
        except ApiError as exc:
            return _brand_page(p, problem=plain(exc), status=exc.status if exc.status < 500 else 502)
        return _brand_page(p, notice="Brand voice saved.")

    @router.post("/brand/styles")
    def create_style(p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        body = {"name": f.get("name"), "description": f.get("description", ""), "mood": f.get("mood") or None,
                "visual_style": f.get("visual_style") or None, "prompt": f.get("prompt", ""),
                "palette": _terms(f.get("palette")), "avoid": _terms(f.get("avoid"))}
        try:
            p.api.send("create_style", body, org_id=_org_id(p))
        except ApiError as exc:
            return _brand_page(p, problem=plain(exc), status=exc.status if exc.status < 500 else 502)
        return _brand_page(p, notice=f"Style “{f.get('name')}” added to the vault.")

    @router.post("/brand/styles/{style_id}/delete")
    def delete_style(style_id: str, p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        p.form(data)
        try:
            p.api.call("delete_style", org_id=_org_id(p), style_id=style_id)
        except ApiError as exc:
            return _brand_page(p, problem=plain(exc), status=exc.status if exc.status < 500 else 502)
        return p.redirect("/app/brand")

    # --- billing ------------------------------------------------------------------------------------------
    @router.get("/billing")
    def billing(p: Page = Depends(signed_in)) -> Response:
        if not p.org:
            return p.redirect("/app/orgs")
        return p.render("billing.html", plans=_plans(p), ent=_safe(p, "entitlements", org_id=_org_id(p)))

    @router.post("/billing/{action}")
    def billing_action(action: str, p: Page = Depends(signed_in), data: FormData = Depends(form_data)) -> Response:
        f = p.form(data)
        calls = {"checkout": "checkout", "portal": "portal", "cancel": "cancel_subscription",
                 "resume": "resume_subscription"}
        if action not in calls:
            return not_found(p)
        try:
            body = {"plan_id": f.get("plan_id"), "interval": "month"} if action == "checkout" else None
            out = p.api.send(calls[action], body, org_id=_org_id(p))
        except ApiError as exc:
            return p.problem(exc, "billing.html", status=200, plans=_plans(p),
                             ent=_safe(p, "entitlements", org_id=_org_id(p)))
        url = (out or {}).get("url") or (out or {}).get("checkout_url") or (out or {}).get("portal_url")
        return p.redirect(url or "/app/billing")

    # --- platform admin -----------------------------------------------------------------------------------
    @router.get("/admin")
    def admin(p: Page = Depends(signed_in)) -> Response:
        try:
            users = p.api.items("admin_users")
            dlq = p.api.get("admin_dlq")
        except ApiError as exc:
            if exc.status == 403:
                return forbidden(p)
            return p.problem(exc, "admin.html", users=[], dlq=None)
        return p.render("admin.html", users=users, dlq=dlq)

    return router


def not_found(p: Page) -> Response:
    return p.render("error.html", status=404, title="Page not found",
                    message="There is nothing at this address. It may have been moved or deleted.")


def forbidden(p: Page) -> Response:
    return p.render("error.html", status=403, title="Not allowed",
                    message="Your account does not have access to this page.")


def _plans(p: Page) -> list:
    plans = _safe(p, "plans") or []
    return list(plans.get("plans") or plans.get("items") or []) if isinstance(plans, dict) else list(plans)


def _safe(p: Page, name: str, **path: str) -> Any:
    try:
        return p.api.get(name, **path)
    except ApiError:
        return None


def _safe_items(p: Page, name: str, query: dict | None = None, **path: str) -> list[dict]:
    """A list for a side panel: an error there (a plan without the feature, say) leaves the panel empty."""
    try:
        return p.api.items(name, query, **path)
    except ApiError:
        return []


def _brand_page(p: Page, status: int = 200, **context: Any) -> Response:
    return p.render("brand.html", status=status, brand=_safe(p, "get_brand", org_id=_org_id(p)) or {},
                    styles=_safe_items(p, "list_styles", org_id=_org_id(p)), **context)


def _terms(value: Any) -> list[str]:
    """A comma-separated field as the list the API takes."""
    return [t.strip() for t in str(value or "").split(",") if t.strip()]


def _live_connections(p: Page) -> list[dict]:
    return [c for c in _safe_items(p, "list_connections", org_id=_org_id(p)) if c.get("status") == "active"]


def _local_path(next_path: Any) -> str:
    """Only a path of the console itself (no open redirect)."""
    if isinstance(next_path, str) and next_path.startswith("/app") and not urlparse(next_path).netloc:
        return next_path
    return "/app"


def new_idempotency_key() -> str:
    return "console-" + secrets.token_hex(12)


templates.globals.update(new_idem=new_idempotency_key, now=datetime.now)


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    """An error page that needs no session (404 for an unknown address, 403 for a stale form)."""
    html = templates.get_template("error.html").render(csrf="", user=None, org=None, orgs=[],
                                                       path=request.url.path, title=title, message=message)
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": csp()})
