"""``POST /api/orgs/{org_id}/content/repurpose``: one post's variants for other platforms (one AI call), or a
long text as an X thread (split on sentence boundaries, no AI call, reassembles to the source)."""

from __future__ import annotations

from lily.ai.ports import CallContext
from lily.content import brand as brands
from lily.content import fitting, pipeline
from lily.content.ports import ContentPorts
from lily.content.schemas import GenerationOut, RepurposeIn


def repurpose(ports: ContentPorts, org_id: str, body: RepurposeIn, user_id: str | None) -> GenerationOut:
    text = body.text if body.text is not None else ports.posts.post_text(org_id, body.post_id or "")
    profile, version = brands.current(org_id)
    if body.mode == "thread":
        ctx = CallContext(org_id=org_id, user_id=user_id, feature="content.repurpose")
        pipeline.screen(ports, ctx, {"text": text})
        job = pipeline.Job(kind="repurpose", topic=pipeline.topic_of(text), platforms=["x"], tone=profile.tone,
                           structure="thread", goal="engagement")
        return pipeline.store(ports, ctx, job, profile, version, [("x", 0, fitting.split_thread(text), [])],
                              None, {})
    job = pipeline.Job(kind="repurpose", topic=pipeline.topic_of(text), platforms=list(body.platforms),
                       tone=profile.tone, structure="single_post", goal="engagement", source=text,
                       task="Adapt the source text for each platform; keep its facts and message.")
    return pipeline.run(ports, org_id, user_id, job, {"text": text})
