"""Publishing's implementations of ports other capabilities declare.

- :class:`PublishingPosts`: content's :class:`lily.content.ports.PostsPort` (a saved draft becomes a post in the
  content library; the text of a post to repurpose).
- :class:`PublishingMedia`: images' :class:`lily.images.ports.MediaLibrary` (a generated image is stored like an
  upload, under the same storage quota).

Each is given the ports publishing's own use cases need (:mod:`lily.composition` does, in the functions).
Research reads published posts through :class:`lily.publishing.published.LibraryPublishedPosts`.

The use cases are imported in the methods: the content and images functions build these providers with their
ports at their first request, and store a post or a medium on few of their calls (docs/CONVENTIONS.md, Cold start).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lily.publishing.ports import PublishingPorts, QuotaPort


class PublishingPosts:
    """:class:`lily.content.ports.PostsPort` on publishing's post use cases.

    ``ports`` builds publishing's ports when a post is first saved: their gateway loads social's platform adapters,
    which generating, repurposing and rewriting text never need (the content function's first call stays light).
    """

    def __init__(self, ports: Callable[[], PublishingPorts]) -> None:
        self.ports = ports

    def create_post(self, org_id: str, targets: list[tuple[str, str]], created_by: str | None) -> str:
        from lily.publishing import editing
        from lily.publishing.schemas import PostCreate, TargetIn

        body = PostCreate(text=targets[0][1], targets=[TargetIn(connection_id=c, text=t) for c, t in targets])
        return editing.create_post(self.ports(), org_id, body, created_by).post_id

    def post_text(self, org_id: str, post_id: str) -> str:
        from lily.publishing.posts import get_post

        return get_post(org_id, post_id).text


class PublishingMedia:
    """:class:`lily.images.ports.MediaLibrary` on publishing's media (stored like an upload, same storage quota)."""

    def __init__(self, storage: QuotaPort) -> None:
        self.storage = storage

    def store(self, org_id: str, data: bytes, content_type: str, *, name: str, alt_text: str | None,
              created_by: str | None, generated: bool = False) -> tuple[str, str]:
        from lily.publishing import media

        return media.store(self.storage, org_id, data, content_type, name=name, alt_text=alt_text,
                           created_by=created_by, generated=generated)

    def check_room(self, org_id: str, size: int) -> None:
        from lily.publishing import media

        media.check_room(self.storage, org_id, size)

    def missing(self, org_id: str, media_ids: list[str]) -> list[str]:
        from lily.publishing import media

        return media.media_items(org_id, media_ids)[1]
