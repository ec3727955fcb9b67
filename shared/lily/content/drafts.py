"""Drafts: stored outputs of a generation, edited, approved and saved as posts.

A draft with a banned or avoided word is ``flagged``: it cannot be saved as a post (so it can never be
scheduled) until it is edited clean or explicitly approved. Every change is a conditional write on the
draft's version.
"""

from __future__ import annotations

from lily.ai.ports import CallContext, TextResult
from lily.content import brand as brands
from lily.content import fitting, scoring, voice
from lily.content.models import ContentDraft
from lily.content.ports import ContentPorts
from lily.content.schemas import DraftEdit, DraftOut, DraftPage, SaveIn, SaveOut, Score
from lily.core import clock
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, conflict, not_found
from lily.core.observability import count
from lily.core.pages import PageParams, query_page


def out(d: ContentDraft) -> DraftOut:
    parts = list(d.parts or [])
    return DraftOut(
        draft_id=d.draft_id, generation_id=d.generation_id, kind=d.kind, platform=d.platform,
        alternative=int(d.alternative), structure=d.structure, tone=d.tone, goal=d.goal,
        text="\n\n".join(parts), parts=parts, hashtags=list(d.hashtags or []), score=Score(**d.reasons),
        status=d.status, schedulable=d.status in ("draft", "approved"), template_id=d.template_id,
        provider=d.provider, model=d.model, input_tokens=int(d.input_tokens), output_tokens=int(d.output_tokens),
        brand_version=int(d.brand_version), post_id=d.post_id, created_at=d.created_at, updated_at=d.updated_at,
        version=int(d.version))


def create(org_id: str, generation_id: str, *, kind: str, platform: str, alternative: int, structure: str,
           tone: str, goal: str | None, parts: list[str], hashtags: list[str], template_id: str | None,
           result: TextResult | None, brand_version: int, score: Score, created_by: str | None) -> DraftOut:
    now = clock.now()
    item = ContentDraft(
        org_id, f"{generation_id}.{platform}.{alternative}", generation_id=generation_id, kind=kind,
        platform=platform, alternative=alternative, structure=structure, tone=tone, goal=goal, parts=parts,
        hashtags=hashtags, template_id=template_id, provider=result.provider if result else None,
        model=result.model if result else None, input_tokens=result.usage.input_tokens if result else 0,
        output_tokens=result.usage.output_tokens if result else 0, brand_version=brand_version,
        score=score.score, reasons=score.model_dump(), flagged=score.flagged,
        status="flagged" if score.flagged else "draft", created_by=created_by, created_at=now, updated_at=now,
        version=1)
    item.save(condition=ContentDraft.draft_id.does_not_exist())
    if score.flagged:
        count("content_drafts_flagged_total", platform=platform)
    return out(item)


def _load(org_id: str, draft_id: str) -> ContentDraft:
    try:
        return ContentDraft.get(org_id, draft_id, consistent_read=True)
    except ContentDraft.DoesNotExist:
        raise not_found("Draft", draft_id=draft_id[:80]) from None


def get(org_id: str, draft_id: str) -> DraftOut:
    return out(_load(org_id, draft_id))


def list_drafts(org_id: str, generation_id: str | None, page: PageParams) -> DraftPage:
    condition = ContentDraft.draft_id.startswith(f"{generation_id}.") if generation_id else None
    items, cursor = query_page(
        lambda start, n: ContentDraft.query(org_id, condition, scan_index_forward=generation_id is not None,
                                            last_evaluated_key=start, limit=n),
        {"org_id": org_id}, page, out)
    return DraftPage(items=items, next_cursor=cursor)


def _update(d: ContentDraft, actions: list) -> None:
    actions = [*actions, ContentDraft.updated_at.set(clock.now()), ContentDraft.version.add(1)]
    if not won(lambda: d.update(actions=actions, condition=ContentDraft.version == d.version)):
        raise conflict("the draft changed; reload it")


def edit(ports: ContentPorts, org_id: str, draft_id: str, body: DraftEdit, user_id: str | None) -> DraftOut:
    """New text: checked against the platform (an X thread is split again), moderated, scored again."""
    d = _load(org_id, draft_id)
    if d.status == "saved":
        raise conflict("the draft is already saved as a post; edit the post", post_id=d.post_id)
    if body.expected_version is not None and body.expected_version != int(d.version):
        raise conflict("the draft changed; reload it", version=int(d.version))
    parts = fitting.split_thread(body.text) if d.platform == "x" and d.structure in ("thread", "long_post") \
        else [fitting.squash(body.text)]
    for part in parts:
        found = fitting.problems(d.platform, part)
        if found:
            raise LilyError(ErrorCode.CONTENT_001, found[0].message,
                            {"platform": d.platform, "violations": [v.model_dump() for v in found]})
    ctx = CallContext(org_id=org_id, user_id=user_id, feature="content.edit")
    verdict = ports.ai.moderate([body.text], ctx)[0]
    if verdict.flagged:
        raise LilyError(ErrorCode.CONTENT_004, "The text was blocked by moderation",
                        {"field": "text", "categories": verdict.categories})
    brand, version = brands.current(org_id)
    text = fitting.join_thread(parts)
    (similarity,) = voice.similarities(ports.ai, ctx, [text], brand.example_posts)
    score = scoring.score(text, d.platform, brand, d.tone, voice=similarity)
    _update(d, [ContentDraft.parts.set(parts), ContentDraft.score.set(score.score),
                ContentDraft.reasons.set(score.model_dump()), ContentDraft.flagged.set(score.flagged),
                ContentDraft.status.set("flagged" if score.flagged else "draft"),
                ContentDraft.brand_version.set(version)])
    return get(org_id, draft_id)


def approve(org_id: str, draft_id: str) -> DraftOut:
    """Explicitly accept a flagged draft's wording: it becomes schedulable."""
    d = _load(org_id, draft_id)
    if d.status == "saved":
        raise conflict("the draft is already saved as a post", post_id=d.post_id)
    if d.status != "approved":
        _update(d, [ContentDraft.status.set("approved")])
        count("content_drafts_approved_total", platform=d.platform)
    return get(org_id, draft_id)


def save(ports: ContentPorts, org_id: str, body: SaveIn, user_id: str | None) -> SaveOut:
    """Save drafts (one per platform) as one draft post with a target per platform's connection."""
    loaded = [_load(org_id, i) for i in dict.fromkeys(body.draft_ids)]
    platforms = [d.platform for d in loaded]
    if len(set(platforms)) != len(platforms):
        raise LilyError(ErrorCode.VALIDATION_001, "Save at most one draft per platform", {"platforms": platforms})
    for d in loaded:
        if d.status == "flagged":
            raise LilyError(ErrorCode.VALIDATION_003, "The draft has banned or avoided words: edit or approve it "
                            "first", {"draft_id": d.draft_id, "hits": (d.reasons or {}).get("hits", [])})
        if d.status == "saved":
            raise conflict("the draft is already saved", draft_id=d.draft_id, post_id=d.post_id)
        if len(d.parts or []) > 1:
            raise LilyError(ErrorCode.VALIDATION_003, "Threads cannot be saved as a post yet (a post holds one "
                            "text per account)", {"draft_id": d.draft_id, "parts": len(d.parts)})
        if d.platform not in body.connections:
            raise LilyError(ErrorCode.VALIDATION_001, "No connection given for a draft's platform",
                            {"platform": d.platform})
    post_id = ports.posts.create_post(org_id, [(body.connections[d.platform], d.parts[0]) for d in loaded], user_id)
    for d in loaded:
        _update(d, [ContentDraft.status.set("saved"), ContentDraft.post_id.set(post_id)])
    return SaveOut(post_id=post_id, draft_ids=[d.draft_id for d in loaded])
