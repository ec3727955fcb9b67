"""Content's implementation of autopilot's :class:`lily.autopilot.ports.Writer`: one post through the content
pipeline (brand voice, the template of the platform, moderation, fitting, scoring), stored as an AI draft.

Autopilot reserves the AI request before it asks (its hard caps), so the pipeline runs with
:class:`ReservedUpstream` as its quota: the unit is not taken twice.
"""

from __future__ import annotations

from collections.abc import Callable

from lily.autopilot.ports import Written
from lily.content.generate import generate
from lily.content.ports import ContentPorts
from lily.content.schemas import GenerateIn
from lily.core.errors import ErrorCode, LilyError


class ReservedUpstream:
    """Content's QuotaPort when the caller (autopilot) has already reserved the unit: nothing more to take."""

    def consume(self, org_id: str) -> None:
        return None

    def release(self, org_id: str) -> None:
        return None  # the caller gives its own reservation back


class AutopilotWriter:
    def __init__(self, ports: Callable[[], ContentPorts]) -> None:
        self.ports = ports

    def write(self, org_id: str, topic: str, platform: str, insight_ids: list[str]) -> Written:
        ports = self.ports()._replace(quota=ReservedUpstream())
        body = GenerateIn(topic=topic[:300], platforms=[platform], n=1, research_insight_ids=insight_ids[:10])
        out = generate(ports, org_id, body, None)
        if not out.drafts:
            raise LilyError(ErrorCode.CONTENT_004, "every draft was blocked by moderation",
                            {"blocked": [b.model_dump() for b in out.blocked]})
        d = out.drafts[0]
        return Written(text=d.text, draft_id=d.draft_id, model=out.model, input_tokens=out.input_tokens,
                       output_tokens=out.output_tokens, flagged=d.status == "flagged")
