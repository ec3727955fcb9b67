"""What images needs from other capabilities, as small Protocols (wired in :mod:`lily.composition`).

- :class:`lily.ai.ports.ImageAIPort`: image generation, image moderation, text moderation and (vision) text.
- :class:`QuotaPort`: the plan's ``image_generations`` per-month quota (billing's ``PlanQuota``).
- :class:`PlanPort`: which image models and qualities the org's plan allows, and the plan that allows more.
- :class:`MediaLibrary`: stores a delivered image as a media item a post can use (publishing's media).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from pydantic import Field

from lily.ai.ports import ImageAIPort
from lily.core.schema import Schema

IMAGES_QUOTA = "image_generations"  # billing's plan quota: one unit per delivered image


class PlanView(Schema):
    """An org's plan as the router needs it."""

    plan_id: str
    models: list[str] = Field(description="Product image models the plan allows")
    qualities: list[str] = Field(description="Image qualities the plan allows")
    model_plans: dict[str, str | None] = Field(description="Product model -> the cheapest plan that allows it")
    quality_plans: dict[str, str | None] = Field(description="Quality -> the cheapest plan that allows it")


class PlanPort(Protocol):
    def view(self, org_id: str) -> PlanView: ...


class QuotaPort(Protocol):
    def consume(self, org_id: str, amount: int = 1) -> None:
        """Take one image of this month's quota; raises LilyError PLAN_002 (with ``upgrade_to``)."""

    def release(self, org_id: str, amount: int = 1) -> None: ...


class MediaLibrary(Protocol):
    def store(self, org_id: str, data: bytes, content_type: str, *, name: str, alt_text: str | None,
              created_by: str | None, generated: bool = False) -> tuple[str, str]:
        """Store the bytes as a media item named ``name`` (the type's extension is added); returns
        ``(media_id, storage key)``. ``generated`` marks an image the pipeline generated (the media answer's
        ``generated``; analytics' AI image). Raises LilyError PLAN_002 over the plan's media storage."""

    def check_room(self, org_id: str, size: int) -> None:
        """Raise LilyError PLAN_002 unless the org's media storage can take ``size`` more bytes now (checked before
        an image is paid for; nothing is kept)."""

    def missing(self, org_id: str, media_ids: list[str]) -> list[str]:
        """The ids of ``media_ids`` the org has no media item of (another org's, deleted, or never there)."""


class ImagePorts(NamedTuple):
    ai: ImageAIPort
    quota: QuotaPort
    plans: PlanPort
    media: MediaLibrary
