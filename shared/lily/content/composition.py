"""The one place content's ports are wired to their providers: the AI adapter, billing's quota functions
and publishing's post service. (When the suite-wide composition module lands, this moves there as is.)

Imported at cold start (not on the first request): ``openai`` alone takes about two seconds to import.
"""

from __future__ import annotations

from functools import lru_cache

from lily.ai.openai_client import OpenAIAdapter
from lily.billing import entitlements
from lily.content.ports import ContentPorts
from lily.core.config import on_reset
from lily.publishing import service
from lily.publishing.schemas import PostCreate, TargetIn

AI_QUOTA = "ai_text_requests"


class BillingAIQuota:
    """:class:`lily.content.ports.QuotaPort` on billing's atomic quota counters."""

    def consume(self, org_id: str) -> None:
        entitlements.consume(org_id, AI_QUOTA)

    def release(self, org_id: str) -> None:
        entitlements.release(org_id, AI_QUOTA)


class PublishingPosts:
    """:class:`lily.content.ports.PostsPort` on publishing's post service."""

    def create_post(self, org_id: str, targets: list[tuple[str, str]], created_by: str | None) -> str:
        body = PostCreate(text=targets[0][1], targets=[TargetIn(connection_id=c, text=t) for c, t in targets])
        return service.create_post(org_id, body, created_by).post_id

    def post_text(self, org_id: str, post_id: str) -> str:
        return service.get_post(org_id, post_id).text


@lru_cache(maxsize=1)
def content_ports() -> ContentPorts:
    return ContentPorts(ai=OpenAIAdapter(), quota=BillingAIQuota(), posts=PublishingPosts())


on_reset(content_ports.cache_clear)
