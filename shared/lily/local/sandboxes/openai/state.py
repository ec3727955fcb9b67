"""The OpenAI-compatible sandbox's state: switches, the request bodies it received, the images it drew."""

from __future__ import annotations

from typing import Any, ClassVar

from lily.local.sandboxes.kit import PlatformState, local_secret
from lily.local.sandboxes.openai.imagery import Gallery

IMAGE_CAPABLE = {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
DEFAULT_TERMS = {
    "violence": ["kill", "murder", "shoot", "stab", "massacre"],
    "hate": ["subhuman", "vermin"],
    "harassment": ["idiot", "loser", "worthless"],
    "self-harm": ["suicide", "self-harm"],
    "sexual": ["porn", "nsfw"],
    "illicit": ["cocaine", "counterfeit", "meth"],
}


class AIState(PlatformState):
    NAME = "openai"
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "api_keys": sorted(local_secret("ai-providers").values()), "requests_per_min": 500, "tokens_per_min": 200000,
        "send_retry_after": True, "server_error_status": 500, "moderation_terms": DEFAULT_TERMS,
        "image_moderation_terms": {c: w for c, w in DEFAULT_TERMS.items() if c in IMAGE_CAPABLE},
        "image_degrade": None, "xai_invalid_values": "fallback",
    }

    def reset(self) -> None:
        super().reset()
        self.requests: list[dict[str, Any]] = []
        self.images: dict[str, bytes] = {}
        self.gallery = Gallery()
