"""A medium a scheduled post names cannot be deleted (409 with the post ids); once the post is published, or a
draft, or gone, it can. The media → posts index (``publishing_media_uses``) follows edits and deletions."""

from __future__ import annotations

import pytest

from lily.core import clock
from lily.core.errors import LilyError
from lily.publishing import editing, media, scheduling
from lily.publishing.models import Media, MediaUse
from lily.publishing.schemas import PostUpdate, TargetIn
from tests.integration.publishing.helpers import make_post, schedule_in, tick

ORG = "org_" + "5" * 26


def _medium(ports) -> str:
    media_id, _ = media.store(ports.storage_quota, ORG, b"\x89PNG fake", "image/png", name="m", alt_text=None,
                              created_by=None)
    return media_id


def _refused(ports, media_id: str) -> list[str]:
    with pytest.raises(LilyError) as caught:
        media.delete_media(ports.storage_quota, ORG, media_id)
    assert caught.value.status == 409 and caught.value.code.value == "VALIDATION_003"
    return caught.value.details["post_ids"]


def _exists(media_id: str) -> bool:
    return Media.count(ORG, Media.media_id == media_id) == 1


def test_scheduled_post_keeps_its_media_until_published(fake, quota, ports, mq, frozen):
    conn = fake.add_connection(ORG, "x")
    kept, loose = _medium(ports), _medium(ports)
    post = make_post(ports, ORG, [conn.connection_id], media_ids=[kept])
    other = make_post(ports, ORG, [conn.connection_id], media_ids=[kept])
    # A draft naming a medium does not hold it; a scheduled post does, and is named in the refusal
    schedule_in(ports, ORG, post.post_id, 60)
    assert _refused(ports, kept) == [post.post_id] and _exists(kept)
    schedule_in(ports, ORG, other.post_id, 120)
    assert sorted(_refused(ports, kept)) == sorted([post.post_id, other.post_id])
    media.delete_media(ports.storage_quota, ORG, loose)  # named by nothing
    assert not _exists(loose)
    # Cancel one; publish the other: the platform has its copy, so the medium may go
    scheduling.cancel(ports, ORG, other.post_id)
    clock.advance(60)
    assert tick()["dispatched"] == 1
    assert mq.run_until_idle()[-1] == "published"
    media.delete_media(ports.storage_quota, ORG, kept)
    assert not _exists(kept)


def test_the_index_follows_edits_and_deletions(fake, quota, ports, mq, frozen):
    conn = fake.add_connection(ORG, "x")
    a, b, c = _medium(ports), _medium(ports), _medium(ports)
    post = make_post(ports, ORG, [conn.connection_id], media_ids=[a])
    # The post now names b instead of a, and its target names c
    editing.update_post(ports, ORG, post.post_id, PostUpdate(
        media_ids=[b], targets=[TargetIn(connection_id=conn.connection_id, media_ids=[c])]))
    assert [u.post_id for u in MediaUse.query(f"{ORG}#{a}")] == []
    assert [u.post_id for u in MediaUse.query(f"{ORG}#{b}")] == [post.post_id]
    schedule_in(ports, ORG, post.post_id, 60)
    # The target's own media replace the post's when it is published: c is needed, b is not
    assert _refused(ports, c) == [post.post_id]
    media.delete_media(ports.storage_quota, ORG, b)
    # Deleting the post removes its entries
    scheduling.cancel(ports, ORG, post.post_id)
    editing.delete_post(ports, ORG, post.post_id)
    assert list(MediaUse.query(f"{ORG}#{c}")) == []
    media.delete_media(ports.storage_quota, ORG, c)
