"""``POST /api/orgs/{org_id}/content/rewrite``: shorten, lengthen, change the tone of or rephrase a text (one AI
call; rephrase: new words unlike the ``avoid`` versions, which evergreen pools use on X), or fix it to a platform
(no AI call: an X text too long becomes a thread, others are cut at a sentence)."""

from __future__ import annotations

from lily.ai.ports import CallContext
from lily.content import brand as brands
from lily.content import fitting, pipeline
from lily.content.ports import ContentPorts
from lily.content.schemas import GenerationOut, RewriteIn

TASKS = {
    "shorten": "Rewrite the source text shorter: keep the main point, drop detail.",
    "lengthen": "Rewrite the source text longer: add a concrete example and a takeaway.",
    "change_tone": "Rewrite the source text in the requested tone; keep its facts.",
    "rephrase": "Rewrite the source text in new words: keep its meaning, facts, length and every link exactly.",
}


def rewrite(ports: ContentPorts, org_id: str, body: RewriteIn, user_id: str | None) -> GenerationOut:
    profile, version = brands.current(org_id)
    tone = body.tone or profile.tone
    if body.action == "fix_to_platform":
        ctx = CallContext(org_id=org_id, user_id=user_id, feature="content.rewrite")
        pipeline.screen(ports, ctx, {"text": body.text})
        structure = "thread" if body.platform == "x" and not fitting.fits("x", body.text) else "single_post"
        parts, tags = fitting.fit(body.platform, body.text, structure=structure, emoji_policy=profile.emoji_policy)
        job = pipeline.Job(kind="rewrite", topic=pipeline.topic_of(body.text), platforms=[body.platform], tone=tone,
                           structure=structure, goal="engagement")
        return pipeline.store(ports, ctx, job, profile, version, [(body.platform, 0, parts, tags)], None, {})
    task = TASKS[body.action]
    if body.action == "rephrase" and body.avoid:
        task += " Word it differently from each of these earlier versions:\n" + "\n".join(f"- {a}" for a in body.avoid)
    job = pipeline.Job(kind="rewrite", topic=pipeline.topic_of(body.text), platforms=[body.platform], tone=tone,
                       structure="single_post", goal="engagement", source=body.text, task=task)
    screened = {"text": body.text} | {f"avoid_{i}": a for i, a in enumerate(body.avoid)}  # all go in the prompt
    return pipeline.run(ports, org_id, user_id, job, screened)
