"""An AI reply to one inbox item in the organization's brand voice: social's
:class:`lily.social.ports.ReplySuggester`, built by :func:`lily.composition.inbox_ports` on content's ports.

One suggestion takes one unit of the plan's ``ai_text_requests`` quota (given back when the provider call fails),
like every generation. Nothing is posted: the user edits and sends the reply from the inbox.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lily.ai.ports import CallContext, TextRequest
from lily.content import brand as brands
from lily.content.ports import ContentPorts
from lily.content.settings import content_settings
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count

MAX_CHARS = {"x": 270, "instagram": 2000, "facebook": 2000, "linkedin": 1200}  # X: room for the @handle


class BrandReplies:
    def __init__(self, ports: Callable[[], ContentPorts]) -> None:
        self._ports = ports  # content's bundle, built on the first suggestion

    def suggest_reply(self, org_id: str, user_id: str | None, platform: str, text: str, author: str | None) -> str:
        ports = self._ports()
        profile, _ = brands.current(org_id)
        limit = MAX_CHARS.get(platform, 1000)
        voice = [f"Tone: {profile.tone}."]
        if profile.industry:
            voice.append(f"Industry: {profile.industry}.")
        if profile.audience:
            voice.append(f"Audience: {profile.audience}.")
        if profile.avoid or profile.banned_words:
            voice.append("Never use: " + ", ".join([*profile.avoid, *profile.banned_words]) + ".")
        voice.append(f"Emoji: {profile.emoji_policy}.")
        if profile.example_posts:
            voice.append("Posts in the brand's voice:\n" + "\n".join(f"- {e}" for e in profile.example_posts[:3]))
        request = TextRequest(
            instructions="You answer comments on a brand's social media posts, as the brand. " + " ".join(voice)
            + f" Answer in at most {limit} characters, plain text, no hashtags, in the commenter's language.",
            prompt=f"{platform} comment from {author or 'a follower'}:\n\"\"\"{text}\"\"\"\n\nWrite the brand's reply.",
            max_output_tokens=300, temperature=0.6)
        ctx = CallContext(org_id=org_id, user_id=user_id, feature="inbox.suggest_reply",
                          deadline=time.monotonic() + content_settings().sync_deadline_s)
        ports.quota.consume(org_id)
        try:
            result = ports.ai.generate(request, ctx)
        except Exception:  # any failure of the call: the unit goes back, the error goes on
            ports.quota.release(org_id)
            raise
        reply = " ".join(result.text.split()).strip().strip('"')
        if not reply:
            raise LilyError(ErrorCode.CONTENT_002, "The AI answered an empty reply", {"provider": result.provider},
                            retryable=False)
        count("inbox_reply_suggestions_total", platform=platform)
        return reply[:limit]
