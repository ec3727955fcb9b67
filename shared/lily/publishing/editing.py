"""Editing posts: creating, editing and deleting a post and its targets (one per connection), while it is a draft."""

from __future__ import annotations

from lily.core import clock, ids
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, conflict, invalid
from lily.core.observability import count
from lily.publishing import link_posts, media_uses
from lily.publishing.models import Media, Post, Target
from lily.publishing.ports import PlatformGateway, PublishingPorts
from lily.publishing.post_schemas import PostCreate, PostOut, PostUpdate, TargetIn
from lily.publishing.posts import load_post, post_out
from lily.publishing.scheduling import cancel
from lily.publishing.states import targets_of

EDITABLE = ("draft",)


def _check_media(org_id: str, media_ids: list[str]) -> None:
    missing = []
    for mid in dict.fromkeys(media_ids):
        try:
            Media.get(org_id, mid)
        except Media.DoesNotExist:
            missing.append(mid)
    if missing:
        raise invalid("unknown media", media_ids=missing)


def _new_targets(org_id: str, post_id: str, targets: list[TargetIn], gateway: PlatformGateway) -> list[Target]:
    out, unknown, seen = [], [], set()
    for t in targets:
        if t.connection_id in seen:
            raise invalid("a connection appears twice", connection_id=t.connection_id)
        seen.add(t.connection_id)
        conn = gateway.connection(org_id, t.connection_id)
        if conn is None:
            unknown.append(t.connection_id)
            continue
        _check_media(org_id, t.media_ids or [])
        out.append(Target(post_id, ids.new_id("tgt"), org_id=org_id, connection_id=t.connection_id,
                          platform=conn.platform, text=t.text, media_ids=t.media_ids, first_comment=t.first_comment,
                          state="draft", updated_at=clock.now()))
    if unknown:
        raise LilyError(ErrorCode.VALIDATION_004, "connection not found", {"connection_ids": unknown})
    return out


def create_post(ports: PublishingPorts, org_id: str, body: PostCreate, created_by: str | None = None,
                approval: str | None = None, post_id: str | None = None) -> PostOut:
    """``approval="required"``: its author needs approval (lily.publishing.approval); None: publishes freely.
    ``post_id``: an id claimed beforehand (automation's claims: a retry creates the same post, never two)."""
    _check_media(org_id, body.media_ids)
    now = clock.now()
    post_id = post_id or ids.new_id("post")
    targets = _new_targets(org_id, post_id, body.targets, ports.gateway)
    post = Post(org_id, post_id, text=body.text, media_ids=body.media_ids, first_comment=body.first_comment,
                status="draft", status_rank=0, platforms={t.platform for t in targets} or None,
                created_by=created_by, approval=approval, created_at=now, updated_at=now, version=1)
    # indexed before the post exists, so no post ever names a medium without its entry
    media_uses.record(org_id, post_id, media_uses.media_of(body.media_ids, targets))
    for t in targets:
        t.save()
    post.save(condition=Post.post_id.does_not_exist())
    link_posts.attach(org_id, post_id, [body.text, *(t.text for t in targets)])
    count("publishing_posts_created_total")
    return post_out(post, targets)


def update_post(ports: PublishingPorts, org_id: str, post_id: str, body: PostUpdate) -> PostOut:
    post = load_post(org_id, post_id)
    targets = targets_of(post_id)
    if post.status not in EDITABLE or any(t.state not in EDITABLE for t in targets):
        raise conflict("only drafts can be edited; cancel the schedule first", status=post.status)
    actions = [Post.updated_at.set(clock.now()), Post.version.add(1)]
    if post.approval not in (None, "required"):  # an edit needs a new approval (lily.publishing.approval)
        actions += [Post.approval.set("required"), Post.approval_at.remove()]
    if body.text is not None:
        actions.append(Post.text.set(body.text))
    if body.media_ids is not None:
        _check_media(org_id, body.media_ids)
        actions.append(Post.media_ids.set(body.media_ids))
    if "first_comment" in body.model_fields_set:
        actions.append(Post.first_comment.set(body.first_comment) if body.first_comment is not None
                       else Post.first_comment.remove())
    new_targets = None
    if body.targets is not None:
        new_targets = _new_targets(org_id, post_id, body.targets, ports.gateway)
        platforms = {t.platform for t in new_targets}
        actions.append(Post.platforms.set(platforms) if platforms else Post.platforms.remove())
    unchanged = (Post.version == post.version) & (Post.status == "draft")
    named_before = media_uses.media_of(post.media_ids, targets)
    named_after = media_uses.media_of(body.media_ids if body.media_ids is not None else post.media_ids,
                                      new_targets if new_targets is not None else targets)
    media_uses.record(org_id, post_id, named_after - named_before)
    if not won(lambda: post.update(actions=actions, condition=unchanged)):
        raise conflict("the post changed meanwhile; reload it")
    if new_targets is not None:
        for old in targets:
            old.delete(condition=Target.state == "draft")
        for t in new_targets:
            t.save()
        targets = new_targets
    if body.text is not None or new_targets is not None:
        link_posts.attach(org_id, post_id, [body.text, *(t.text for t in targets)])
    media_uses.forget(org_id, post_id, named_before - named_after)
    return post_out(post, targets)


def delete_post(ports: PublishingPorts, org_id: str, post_id: str) -> None:
    post = load_post(org_id, post_id)
    targets = targets_of(post_id)
    if any(t.state in ("queued", "publishing") for t in targets):
        raise conflict("a target is being published; wait or cancel first")
    if any(t.state == "scheduled" for t in targets):
        cancel(ports, org_id, post_id)
        targets = targets_of(post_id)
    for t in targets:
        t.delete(condition=Target.state.is_in("draft", "published", "failed"))
    post.delete()
    media_uses.forget(org_id, post_id, media_uses.media_of(post.media_ids, targets))
