"""The LinkedIn sandbox's state (switches, each user's member URN and organizations), its error bodies, and the
guard every ``/rest`` call passes: an active ``LinkedIn-Version``, Rest.li 2.0 where needed, a live token."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from fastapi import Request
from fastapi.responses import JSONResponse

from lily.core import clock
from lily.local.sandboxes.kit import Grant, PlatformState, local_secret, stable_id
from lily.local.sandboxes.oauth import bearer

CLIENT_ID = "lily-linkedin-client"
VERSION = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?:\.\d{2})?")


def client_secret() -> str:
    return local_secret("social-apps")["linkedin_client_secret"]


def li_error(status: int, message: str, service_code: int | None = None, headers: dict | None = None,
             code: str | None = None) -> JSONResponse:
    body: dict = {"message": message, "status": status}
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    if code is not None:
        body["code"] = code
    return JSONResponse(body, status_code=status, headers=headers)


class LinkedInState(PlatformState):
    NAME = "linkedin"
    DEFAULTS: ClassVar[dict[str, Any]] = {
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
    }

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.comments: dict[str, dict] = {}  # comment URN -> comment (lily.local.sandboxes.linkedin.comments)

    @staticmethod
    def person(user: str) -> str:
        return f"urn:li:person:{stable_id('li', user, digits=10)}"

    def orgs_of(self, user: str) -> list[dict]:
        return [
            {
                "id": stable_id("org", user, str(i), digits=8),
                "localizedName": f"{user.title()} Org {i}",
                "vanityName": f"{user}-org-{i}",
            }
            for i in range(1, int(self.config["orgs_per_user"]) + 1)
        ]

    def may_read(self, g: Grant, author: str) -> bool:
        """Member posts need the restricted r_member_social; organization posts r_organization_social."""
        return ("r_member_social" if ":person:" in author else "r_organization_social") in g.scopes

    def may_author(self, g: Grant, author: str) -> bool:
        return author == self.person(g.user) or any(
            author == f"urn:li:organization:{o['id']}" for o in self.orgs_of(g.user))

    def version_active(self, version: str) -> bool:
        m = VERSION.fullmatch(version)
        if not m or not 1 <= int(m["month"]) <= 12:
            return False
        now = clock.now()
        age = (now.year * 12 + now.month) - (int(m["year"]) * 12 + int(m["month"]))
        floor = str(self.config["min_version"] or "")
        return 0 <= age < int(self.config["supported_months"]) and version[:6] >= floor

    def restli_needed(self, request: Request) -> bool:
        rule = self.config["restli_required"]
        if rule == "all":
            return True
        return rule == "finders_and_posts" and (
            "q" in request.query_params or request.url.path.startswith("/rest/posts")
        )

    def rest_guard(self, request: Request) -> tuple[Grant, None] | tuple[None, JSONResponse]:
        """(grant, None) or (None, error response) for /rest calls."""
        version = request.headers.get("linkedin-version")
        if not version:
            return None, li_error(
                400,
                "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
                code="VERSION_MISSING",
            )
        if not self.version_active(version):
            return None, li_error(426, f"Requested version {version} is not active", code="NONEXISTENT_VERSION")
        if self.restli_needed(request) and request.headers.get("x-restli-protocol-version") != "2.0.0":
            return None, li_error(
                400, "This request requires the header X-Restli-Protocol-Version: 2.0.0", 100, code="ILLEGAL_ARGUMENT"
            )
        g = self.grant_for(bearer(request))
        if g is None:
            return None, li_error(401, "Invalid access token", 65600)
        return g, None
