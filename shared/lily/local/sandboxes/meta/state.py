"""The Meta sandbox's state: switches, each user's Pages (each linked to an Instagram Business account), Page
tokens, posts and IG containers; and the Graph API's error body and usage headers."""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

from fastapi.responses import JSONResponse

from lily.core import clock
from lily.local.sandboxes.kit import Grant, PlatformState, stable_id

APP_ID = "lily-meta-app"


def graph_error(status: int, message: str, code: int, subcode: int | None = None, type_: str = "OAuthException",
                headers: dict | None = None, **extra) -> JSONResponse:
    err = {"message": message, "type": type_, "code": code, "fbtrace_id": "AbCdEfSandbox", **extra}
    if subcode:
        err["error_subcode"] = subcode
    return JSONResponse({"error": err}, status_code=status, headers=headers)


def invalid_token() -> JSONResponse:
    return graph_error(400, "Error validating access token: Session has expired.", 190, 463)


def usage_headers(pct: int = 5, regain_min: int = 0, business_id: str = "0") -> dict[str, str]:
    return {
        "x-app-usage": json.dumps({"call_count": pct, "total_time": pct, "total_cputime": pct}),
        "x-business-use-case-usage": json.dumps({business_id: [{
            "type": "pages", "call_count": pct, "total_cputime": pct, "total_time": pct,
            "estimated_time_to_regain_access": regain_min,
        }]}),
    }


class MetaState(PlatformState):
    NAME = "meta"
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "code_ttl_s": 600, "pages_per_user": 2, "throttle_code": 4, "ig_hashtag_limit": 30, "container_polls": 0,
        "container_ttl_s": 86400, "ig_publish_quota": 50, "quota_error": {"code": 9, "subcode": 2207042},
    }

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.comments: dict[str, dict] = {}  # comment id -> comment (lily.local.sandboxes.meta.comments)

    def pages_of(self, user: str) -> list[dict]:
        out = []
        for i in range(1, int(self.config["pages_per_user"]) + 1):
            out.append({
                "id": stable_id("page", user, str(i), digits=15),
                "name": f"{user.title()} Page {i}",
                "ig": {
                    "id": stable_id("ig", user, str(i), digits=17),
                    "username": f"{user}_insta{i}",
                    "name": f"{user.title()} Insta {i}",
                },
            })
        return out

    def page_token(self, user: str, page: dict) -> str:
        """One stable Page token per (user, page) grant generation."""
        with self.lock:
            for tok, g in self.access.items():
                if g.extra.get("page_id") == page["id"] and g.user == user and g.live():
                    return tok
        return self.issue_tokens(
            user, APP_ID, [], None, with_refresh=False, page_id=page["id"], ig_id=page["ig"]["id"]
        )["access_token"]

    def owned(self, g: Grant, obj_id: str) -> dict | None:
        """The page (or IG account) ``obj_id`` when the token may act on it."""
        for p in self.pages_of(g.user):
            if g.extra.get("page_id") and g.extra["page_id"] != p["id"]:
                continue
            if obj_id in (p["id"], p["ig"]["id"]):
                return p
        return None

    def new_post(self, kind: str, owner_id: str, user: str, **fields) -> dict:
        post_id = f"{owner_id}_{self.next_id()}" if kind == "fb" else self.next_id("179")
        post = {
            "id": post_id,
            "platform": "facebook" if kind == "fb" else "instagram",
            "owner": user,
            "account_id": owner_id,
            "created_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
            "created_ts": clock.now_ts(),
            "deleted": False,
            **fields,
        }
        with self.lock:
            self.posts[post_id] = post
        return post

    def expired(self, container: dict) -> bool:
        return container.get("kind") == "container" and container["status_code"] != "PUBLISHED" and (
            clock.now_ts() >= container["created_ts"] + float(self.config["container_ttl_s"])
        )

    def published_since(self, ig_id: str, since: float) -> int:
        with self.lock:
            return sum(1 for p in self.posts.values() if p["account_id"] == ig_id and p.get("created_ts", 0) > since)
