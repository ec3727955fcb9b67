"""The ``social_inbound`` queue's message: one engagement (a comment, mention or reply) a platform told Lily about,
put on the queue by the webhook intake (:mod:`lily.social.webhook_intake`) and parsed by the
``social_inbound`` worker at the edge (a missing field is a batch item failure: redelivered, then the DLQ)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lily.core.schema import Schema

QUEUE = "social_inbound"

Kind = Literal["comment", "mention", "reply"]


class InboundEngagement(Schema):
    """What the inbox needs of one engagement, platform-neutral. ``event_id`` is ``<platform>:<the platform's own
    id>`` (the X post id, the Graph comment id, LinkedIn's ``notificationId``): the key of idempotency."""

    event_id: str = Field(min_length=3, max_length=256)
    platform: Literal["x", "facebook", "instagram", "linkedin"]
    account_id: str = Field(min_length=1, max_length=256, description="The connected account it happened to")
    kind: Kind
    item_id: str = Field(min_length=1, max_length=256, description="The comment's or post's id at the platform")
    post_id: str | None = Field(None, max_length=256, description="The post it belongs to, when known")
    parent_id: str | None = Field(None, max_length=256, description="What it answers (a comment or post id)")
    author_id: str | None = Field(None, max_length=256)
    author_name: str | None = Field(None, max_length=256)
    text: str = Field("", max_length=10000)
    occurred_at: float = Field(description="Unix seconds, as the platform dated it")
    received_at: float
