"""Publishing's implementations of ports other capabilities declare.

- :class:`PublishingPosts`: content's :class:`lily.content.ports.PostsPort` (a saved draft becomes a post in the
  content library; the text of a post to repurpose).
- :class:`PublishingMedia`: images' :class:`lily.images.ports.MediaLibrary` (a generated image is stored like an
  upload, under the same storage quota).

Each is built with the ports publishing's own use cases need (:mod:`lily.composition` does, in the functions).
Research reads published posts through :class:`lily.publishing.published.LibraryPublishedPosts`.
"""

from __future__ import annotations

from lily.publishing import editing, media
from lily.publishing.ports import PublishingPorts, QuotaPort
from lily.publishing.posts import get_post
from lily.publishing.schemas import PostCreate, TargetIn


class PublishingPosts:
    """:class:`lily.content.ports.PostsPort` on publishing's post use cases."""

    def __init__(self, ports: PublishingPorts) -> None:
        self.ports = ports

    def create_post(self, org_id: str, targets: list[tuple[str, str]], created_by: str | None) -> str:
        body = PostCreate(text=targets[0][1], targets=[TargetIn(connection_id=c, text=t) for c, t in targets])
        return editing.create_post(self.ports, org_id, body, created_by).post_id

    def post_text(self, org_id: str, post_id: str) -> str:
        return get_post(org_id, post_id).text


class PublishingMedia:
    """:class:`lily.images.ports.MediaLibrary` on publishing's media (stored like an upload, same storage quota)."""

    def __init__(self, storage: QuotaPort) -> None:
        self.storage = storage

    def store(self, org_id: str, data: bytes, content_type: str, *, name: str, alt_text: str | None,
              created_by: str | None) -> tuple[str, str]:
        return media.store(self.storage, org_id, data, content_type, name=name, alt_text=alt_text,
                           created_by=created_by)
