"""Content's implementation of publishing's :class:`lily.publishing.ports.TextVariation`: an evergreen item's text
reworded through the rewrite use case (``action: rephrase``, unlike the versions already sent), so a pool set to
``vary`` can post it again on a platform that refuses identical text (X).

Each rewording is one rewrite: it takes one unit of the org's ``ai_text_requests`` quota (given back when the
provider fails), is moderated, fitted to the platform and stored as an AI draft, like any rewrite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lily.core.errors import ErrorCode, LilyError

if TYPE_CHECKING:
    from lily.content.ports import ContentPorts


class Rewordings:
    def __init__(self, ports: Callable[[], ContentPorts]) -> None:
        self._ports = ports  # content's bundle (the AI client), built on the first rewording

    def vary(self, org_id: str, platform: str, text: str, avoid: list[str]) -> str:
        # Imported here: the automation schedule that holds this port rewords only for vary pools on X; a run
        # without one loads none of the generation pipeline.
        from lily.content import rewrite
        from lily.content.schemas import RewriteIn

        out = rewrite.rewrite(self._ports(), org_id, RewriteIn(text=text, platform=platform, action="rephrase",
                                                               avoid=[a[:5000] for a in avoid[-5:]]), None)
        if not out.drafts:
            raise LilyError(ErrorCode.CONTENT_004, "the rewording was blocked by moderation",
                            {"blocked": [b.model_dump() for b in out.blocked]})
        return out.drafts[0].text
