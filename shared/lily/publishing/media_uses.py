"""Which posts name a medium (``publishing_media_uses``), so that a medium a scheduled post still needs is not
deleted.

Editing keeps the index: a post's media (its own and its targets') are recorded before the post is saved and
forgotten when the post is deleted or edited to name others. Deleting a medium asks :func:`posts_needing`: a post
with a target ``scheduled``, ``queued`` or ``publishing`` needs it (409 with those post ids); a draft, a failed
target and a published one do not (the platform keeps its own copy of what was published). An entry whose post is
gone is dropped on the way.
"""

from __future__ import annotations

from collections.abc import Iterable

from lily.core import clock
from lily.publishing.models import MediaUse, Post, Target
from lily.publishing.states import targets_of

PENDING = ("scheduled", "queued", "publishing")


def _key(org_id: str, media_id: str) -> str:
    return f"{org_id}#{media_id}"


def media_of(post_media_ids: Iterable[str] | None, targets: Iterable[Target]) -> set[str]:
    """Every medium a post names: its own and its targets' overrides."""
    named = set(post_media_ids or [])
    for t in targets:
        named.update(t.media_ids or [])
    return named


def record(org_id: str, post_id: str, media_ids: Iterable[str]) -> None:
    now = clock.now()
    with MediaUse.batch_write() as batch:
        for mid in set(media_ids):
            batch.save(MediaUse(_key(org_id, mid), post_id, created_at=now))


def forget(org_id: str, post_id: str, media_ids: Iterable[str]) -> None:
    with MediaUse.batch_write() as batch:
        for mid in set(media_ids):
            batch.delete(MediaUse(_key(org_id, mid), post_id))


def posts_needing(org_id: str, media_id: str) -> list[str]:
    """The posts that still need the medium: a target of theirs is scheduled, queued or publishing."""
    needing = []
    for use in MediaUse.query(_key(org_id, media_id), consistent_read=True):
        try:
            post = Post.get(org_id, use.post_id, consistent_read=True)
        except Post.DoesNotExist:
            use.delete()  # the post is gone: its entry goes too
            continue
        for t in targets_of(use.post_id):
            # the publisher's rule: a target's own media, when it has them, replace the post's
            named = t.media_ids if t.media_ids is not None else (post.media_ids or [])
            if t.state in PENDING and media_id in named:
                needing.append(use.post_id)
                break
    return needing
