"""The X sandbox's state: its switches, and users as X shows them."""

from __future__ import annotations

from typing import Any, ClassVar

from lily.local.sandboxes import engagement
from lily.local.sandboxes.kit import PlatformState, stable_id

CLIENT_ID = "lily-x-client"

# Per-user limits per 15-minute window [facts §1.2, §1.5, §1.7, §1.4]; other endpoints: 900.
LIMITS_15M = {
    "DELETE /2/tweets/:id": 50,
    "GET /2/tweets/:id": 900,
    "GET /2/tweets": 5000,
    "GET /2/users/:id/tweets": 900,
    "GET /2/users/me": 75,
    "POST /2/media/upload": 500,
    "POST /2/media/upload/:id/append": 1875,
    "POST /2/media/upload/:id/finalize": 1875,
    "POST /2/media/upload/initialize": 1875,
}


class XState(PlatformState):
    NAME = "x"
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "code_ttl_s": 30, "access_ttl_s": 7200, "rotate_refresh": True, "tweet_limit_15m": 100, "limits_15m": {},
        # X returns links wrapped in t.co; not confirmed in the facts sheet, so a switch
        "wrap_urls": False,
    }

    def limit_of(self, endpoint: str) -> int:
        if endpoint in self.config["limits_15m"]:
            return int(self.config["limits_15m"][endpoint])
        if endpoint == "POST /2/tweets":
            return int(self.config["tweet_limit_15m"])
        return LIMITS_15M.get(endpoint, 900)

    def profile(self, user: str) -> dict:
        """The sandbox user ``user`` with every field X can show."""
        return {
            "id": stable_id("x", user, digits=19),
            "name": user.replace("_", " ").title(),
            "username": user,
            "profile_image_url": f"https://pbs.twimg.example/profile/{user}.png",
            "public_metrics": {
                "followers_count": engagement.followers(user),
                "following_count": 7,
                "tweet_count": len(self.user_posts(user)),
                "listed_count": 0,
                "like_count": 0,
            },
        }
