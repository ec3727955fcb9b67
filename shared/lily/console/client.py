"""The console's one way to the public API: a small typed client written against ``/openapi.json``.

The console is a thin client (docs/console.md): every page does only what an API user could do, through the same
routes, scopes and errors. Each call the console makes is one :class:`Call` in :data:`CALLS` (method, path template,
the body fields and query parameters it sends); ``tests/unit/console/test_client_contract.py`` checks every one
against the served OpenAPI document, so an API change the console does not follow fails there, not in a browser.

Errors come back as :class:`ApiError` carrying Lily's error body (code, message, details), which the pages show in
plain language (:func:`lily.console.errors.plain`); a transport failure is an ``ApiError`` too (``SYSTEM_002``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any, NamedTuple

import httpx

REFRESH_COOKIE = "lily_refresh"  # the API's refresh cookie (functions/auth)
CSRF_HEADER = "X-CSRF-Token"
FLOW_COOKIE_PREFIX = "lily_oauth_"


class Call(NamedTuple):
    method: str
    path: str
    body: tuple[str, ...] = ()
    query: tuple[str, ...] = ()


CALLS: dict[str, Call] = {
    # auth
    "register": Call("POST", "/api/auth/register", ("email", "password")),
    "verify_email": Call("POST", "/api/auth/verify-email", ("token",)),
    "resend_verification": Call("POST", "/api/auth/verify-email/resend", ("email",)),
    "login": Call("POST", "/api/auth/login", ("email", "password")),
    "login_2fa": Call("POST", "/api/auth/login/2fa", ("challenge", "code", "backup_code")),
    "refresh": Call("POST", "/api/auth/refresh"),
    "logout": Call("POST", "/api/auth/logout"),
    "me": Call("GET", "/api/auth/me"),
    "totp_setup": Call("POST", "/api/auth/2fa/setup", ("password",)),
    "totp_enable": Call("POST", "/api/auth/2fa/enable", ("code",)),
    "reset_request": Call("POST", "/api/auth/password-reset/request", ("email",)),
    "reset_confirm": Call("POST", "/api/auth/password-reset/confirm", ("token", "new_password")),
    # organizations, members, invitations, API keys
    "list_orgs": Call("GET", "/api/orgs", query=("limit",)),
    "create_org": Call("POST", "/api/orgs", ("name",)),
    "list_members": Call("GET", "/api/orgs/{org_id}/members"),
    "set_role": Call("PATCH", "/api/orgs/{org_id}/members/{user_id}", ("role",)),
    "remove_member": Call("DELETE", "/api/orgs/{org_id}/members/{user_id}"),
    "invite": Call("POST", "/api/orgs/{org_id}/invites", ("email", "role")),
    "accept_invite": Call("POST", "/api/invites/accept", ("token",)),
    "list_api_keys": Call("GET", "/api/orgs/{org_id}/api-keys"),
    "create_api_key": Call("POST", "/api/orgs/{org_id}/api-keys", ("name", "scopes", "role")),
    "revoke_api_key": Call("DELETE", "/api/orgs/{org_id}/api-keys/{key_id}"),
    # plan and usage
    "usage": Call("GET", "/api/orgs/{org_id}/usage"),
    "entitlements": Call("GET", "/api/orgs/{org_id}/entitlements"),
    "plans": Call("GET", "/api/plans"),
    "subscription": Call("GET", "/api/orgs/{org_id}/billing/subscription"),
    "checkout": Call("POST", "/api/orgs/{org_id}/billing/checkout", ("plan_id", "interval")),
    "portal": Call("POST", "/api/orgs/{org_id}/billing/portal"),
    "cancel_subscription": Call("POST", "/api/orgs/{org_id}/billing/cancel"),
    "resume_subscription": Call("POST", "/api/orgs/{org_id}/billing/resume"),
    # connections
    "list_connections": Call("GET", "/api/orgs/{org_id}/social/connections"),
    "connect": Call("POST", "/api/orgs/{org_id}/social/connect/{platform}"),
    "disconnect": Call("DELETE", "/api/orgs/{org_id}/social/connections/{connection_id}"),
    "notices": Call("GET", "/api/orgs/{org_id}/social/notices"),
    # content and images
    "generate": Call("POST", "/api/orgs/{org_id}/content/generate", ("topic", "platforms", "n")),
    "generate_image": Call("POST", "/api/orgs/{org_id}/images", ("prompt", "platform", "quality", "content_context")),
    "image_job": Call("GET", "/api/orgs/{org_id}/images/jobs/{job_id}"),
    "get_brand": Call("GET", "/api/orgs/{org_id}/brand"),
    "put_brand": Call("PUT", "/api/orgs/{org_id}/brand", (
        "tone", "industry", "audience", "keywords", "avoid", "banned_words", "emoji_policy", "default_hashtags",
        "ctas", "example_posts", "expected_version")),
    "list_styles": Call("GET", "/api/orgs/{org_id}/images/styles"),
    "create_style": Call("POST", "/api/orgs/{org_id}/images/styles", (
        "name", "description", "visual_style", "mood", "prompt", "palette", "avoid")),
    "delete_style": Call("DELETE", "/api/orgs/{org_id}/images/styles/{style_id}"),
    # posts, media, calendar
    "create_post": Call("POST", "/api/orgs/{org_id}/posts", ("text", "media_ids", "first_comment", "targets")),
    "list_posts": Call("GET", "/api/orgs/{org_id}/posts", query=("status", "platform", "limit", "cursor")),
    "get_post": Call("GET", "/api/orgs/{org_id}/posts/{post_id}"),
    "schedule_post": Call("POST", "/api/orgs/{org_id}/posts/{post_id}/schedule", ("scheduled_at", "timezone")),
    "cancel_post": Call("POST", "/api/orgs/{org_id}/posts/{post_id}/cancel"),
    "list_queues": Call("GET", "/api/orgs/{org_id}/queues"),
    "enqueue_post": Call("POST", "/api/orgs/{org_id}/posts/{post_id}/queue", ("queue_id",)),
    "create_upload": Call("POST", "/api/orgs/{org_id}/media/uploads", ("filename", "content_type", "size",
                                                                       "platforms")),
    "get_media": Call("GET", "/api/orgs/{org_id}/media/{media_id}"),
    "set_alt_text": Call("PATCH", "/api/orgs/{org_id}/media/{media_id}", ("alt_text",)),
    "calendar": Call("GET", "/api/orgs/{org_id}/calendar", query=("view", "from")),
    "reschedule": Call("POST", "/api/orgs/{org_id}/calendar/posts/{post_id}/reschedule",
                       ("scheduled_at", "timezone")),
    # research, analytics
    "research_reports": Call("GET", "/api/orgs/{org_id}/research/reports"),
    "top_posts": Call("GET", "/api/orgs/{org_id}/analytics/top-posts"),
    # platform admin
    "admin_users": Call("GET", "/api/admin/users"),
    "admin_dlq": Call("GET", "/api/admin/publishing/dlq"),
}


@dataclass
class ApiError(Exception):
    status: int
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class Answer:
    status: int
    body: Any
    cookies: dict[str, str]
    set_cookies: list[str]


class LilyClient:
    """One request's client: the API's base URL, and the access token the console holds for this request only."""

    def __init__(self, base_url: str, access_token: str | None = None, *, timeout_s: float = 25.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.access_token = access_token
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s, transport=transport,
                                  follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def call(self, name: str, *, body: dict[str, Any] | None = None, query: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None,
             **path: str) -> Answer:
        spec = CALLS[name]
        sent = {k: v for k, v in (body or {}).items() if v is not None}
        unknown = set(sent) - set(spec.body)
        if unknown:
            raise ValueError(f"{name}: fields {sorted(unknown)} are not declared in CALLS")
        params = {k: v for k, v in (query or {}).items() if v not in (None, "")}
        if set(params) - set(spec.query):
            raise ValueError(f"{name}: query {sorted(set(params) - set(spec.query))} not declared in CALLS")
        h = dict(headers or {})
        if self.access_token:
            h["Authorization"] = f"Bearer {self.access_token}"
        cookie_header = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
        if cookie_header:
            h["Cookie"] = cookie_header
        try:
            r = self._http.request(spec.method, spec.path.format(**path), headers=h, params=params or None,
                                   json=sent if spec.method in ("POST", "PUT", "PATCH") else None)
        except httpx.TransportError:
            raise ApiError(503, "SYSTEM_002", "The service could not be reached; try again shortly") from None
        try:
            data = r.json() if r.content else None
        except ValueError:
            data = None
        if r.status_code >= 400:
            err = (data or {}).get("error") if isinstance(data, dict) else None
            err = err or {}
            raise ApiError(r.status_code, err.get("code", "SYSTEM_001"),
                           err.get("message", "Something went wrong"), err.get("details") or {})
        set_cookies = r.headers.get_list("set-cookie")
        jar: dict[str, str] = {}
        for raw in set_cookies:
            parsed = SimpleCookie()
            parsed.load(raw)
            for key, morsel in parsed.items():
                jar[key] = morsel.value
        return Answer(r.status_code, data, jar, set_cookies)

    # --- typed conveniences the pages use (each one a Call above) ---------------------------------------------

    def get(self, name: str, **path: str) -> Any:
        return self.call(name, **path).body

    def items(self, name: str, query: dict[str, Any] | None = None, **path: str) -> list[dict[str, Any]]:
        """A list route's items (pages of ``{items, next_cursor}``; plain lists as they are)."""
        body = self.call(name, query=query, **path).body
        if isinstance(body, dict):
            return list(body.get("items") or [])
        return list(body or [])

    def send(self, name: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
             **path: str) -> Any:
        return self.call(name, body=body, headers=headers, **path).body
