"""The generation pipeline every use case (generate, repurpose, rewrite) runs:

1. moderate the caller's inputs (blocked → ``CONTENT_004`` naming the category; nothing stored);
2. render the template of each platform (tone × structure × platform) with the brand profile;
3. take one unit of the plan's AI-requests quota, make ONE provider call with a JSON schema asking for
   ``n`` posts per platform, and give the unit back if the provider fails;
4. fit each post to its platform (:mod:`lily.content.fitting`: the publishing validator must pass);
5. moderate the outputs (blocked ones are reported, never stored);
6. score each against the brand (:mod:`lily.content.scoring`) and store it as a draft; a banned or avoided
   word flags it (not schedulable until edited or approved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lily.ai.ports import CallContext, TextRequest, TextResult
from lily.content import brand as brands
from lily.content import drafts, fitting, scoring, templates
from lily.content.ctas import cta_for
from lily.content.ports import ContentPorts
from lily.content.schemas import Blocked, BrandIn, GenerationOut
from lily.core import ids
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count
from lily.social.constraints import rules_for


def screen(ports: ContentPorts, ctx: CallContext, inputs: dict[str, str]) -> None:
    """Moderate the caller's inputs; raise CONTENT_004 naming the field and categories of the first blocked."""
    names = [k for k, v in inputs.items() if v and v.strip()]
    verdicts = ports.ai.moderate([inputs[k] for k in names], ctx)
    for name, verdict in zip(names, verdicts, strict=True):
        if verdict.flagged:
            count("content_moderation_blocks_total", stage="input", feature=ctx.feature)
            raise LilyError(ErrorCode.CONTENT_004, f"The {name} was blocked by moderation",
                            {"field": name, "categories": verdict.categories})


def topic_of(text: str) -> str:
    """A source text's first sentence (at most 160 characters): the topic its template is rendered with."""
    first = (fitting.sentences(text) or [text])[0]
    return first if len(first) <= 160 else first[:157].rsplit(" ", 1)[0] + "…"


def provider_call(ports: ContentPorts, ctx: CallContext, request: TextRequest) -> TextResult:
    """One quota unit per call that reaches the provider, given back when it fails."""
    ports.quota.consume(ctx.org_id)
    try:
        return ports.ai.generate(request, ctx)
    except Exception:
        ports.quota.release(ctx.org_id)
        raise


def drafts_schema(platforms: list[str], n: int) -> dict[str, Any]:
    post = {"type": "object", "additionalProperties": False, "required": ["text", "hashtags"],
            "properties": {"text": {"type": "string"}, "hashtags": {"type": "array", "items": {"type": "string"}}}}
    return {"type": "object", "additionalProperties": False, "required": list(platforms),
            "properties": {p: {"type": "array", "minItems": n, "maxItems": n, "items": post} for p in platforms}}


@dataclass
class Job:
    """One provider call's worth of drafts."""

    kind: str
    topic: str
    platforms: list[str]
    tone: str
    structure: str
    goal: str
    n: int = 1
    source: str = ""
    insights: list[str] = field(default_factory=list)
    task: str = ""  # an extra instruction (rewrites)


def _values(job: Job, brand: BrandIn, platform: str) -> dict[str, object]:
    return {
        "topic": job.topic, "audience": brand.audience or "our audience", "industry": brand.industry or "our industry",
        "keywords": ", ".join(brand.keywords) or "none", "avoid": ", ".join(brand.avoid + brand.banned_words) or "none",
        "tone": job.tone, "structure": job.structure.replace("_", " "), "platform": platform, "goal": job.goal,
        "cta": cta_for(platform, job.goal, brand), "emoji_policy": brand.emoji_policy,
        "max_chars": rules_for(platform).max_text, "n": job.n,
        "examples": "\n".join(f"- {e}" for e in brand.example_posts[:3]) or "none",
        "source": job.source or "none", "insights": "; ".join(job.insights) or "none",
    }


def run(ports: ContentPorts, org_id: str, user_id: str | None, job: Job, screened: dict[str, str]) -> GenerationOut:
    ctx = CallContext(org_id=org_id, user_id=user_id, feature=f"content.{job.kind}")
    screen(ports, ctx, screened)
    brand, version = brands.current(org_id)
    chosen = {p: templates.template_for(job.tone, job.structure, p) for p in job.platforms}
    rendered = {p: t.render(_values(job, brand, p)) for p, t in chosen.items()}
    instructions = rendered[job.platforms[0]][0]
    prompt = "\n\n".join(r[1] for r in rendered.values())
    if job.task:
        prompt += f"\n\nTask: {job.task}"
    prompt += f"\n\nAnswer with JSON: for each platform, {job.n} post(s), each with its text and hashtags."
    result = provider_call(ports, ctx, TextRequest(instructions=instructions, prompt=prompt, schema_name="drafts",
                                                   json_schema=drafts_schema(job.platforms, job.n)))
    fitted: list[tuple[str, int, list[str], list[str]]] = []
    for platform in job.platforms:
        posts = (result.data or {}).get(platform) or []
        if not isinstance(posts, list) or not posts:
            raise LilyError(ErrorCode.CONTENT_002, "Content generation failed: no post for a platform",
                            {"platform": platform, "provider": result.provider}, retryable=False)
        for alt, post in enumerate(posts[: job.n]):
            text = str((post or {}).get("text") or "").strip() if isinstance(post, dict) else ""
            if not text:
                continue
            parts, tags = fitting.fit(platform, text, structure=job.structure,
                                      hashtags=[str(h) for h in (post.get("hashtags") or [])],
                                      brand_hashtags=brand.default_hashtags,
                                      cta=cta_for(platform, job.goal, brand), emoji_policy=brand.emoji_policy)
            fitted.append((platform, alt, parts, tags))
    return store(ports, ctx, job, brand, version, fitted, result, {p: t.template_id for p, t in chosen.items()})


def store(ports: ContentPorts, ctx: CallContext, job: Job, brand: BrandIn, version: int,
          fitted: list[tuple[str, int, list[str], list[str]]], result: TextResult | None,
          template_ids: dict[str, str]) -> GenerationOut:
    """Moderate the outputs, score and store the drafts that pass."""
    verdicts = ports.ai.moderate([fitting.join_thread(parts) for _, _, parts, _ in fitted], ctx)
    generation_id = ids.new_id("gen")
    out, blocked = [], []
    for (platform, alt, parts, tags), verdict in zip(fitted, verdicts, strict=True):
        if verdict.flagged:
            count("content_moderation_blocks_total", stage="output", feature=ctx.feature)
            blocked.append(Blocked(platform=platform, alternative=alt, categories=verdict.categories))
            continue
        text = fitting.join_thread(parts)
        out.append(drafts.create(
            ctx.org_id, generation_id, kind=job.kind, platform=platform, alternative=alt, structure=job.structure,
            tone=job.tone, goal=job.goal, parts=parts, hashtags=tags, template_id=template_ids.get(platform),
            result=result, brand_version=version, score=scoring.score(text, platform, brand, job.tone),
            created_by=ctx.user_id))
    if not out and blocked:
        raise LilyError(ErrorCode.CONTENT_004, "Every generated draft was blocked by moderation",
                        {"blocked": [b.model_dump() for b in blocked]})
    count("content_drafts_generated_total", len(out), kind=job.kind)
    return GenerationOut(
        generation_id=generation_id, drafts=out, blocked=blocked, brand_version=version,
        provider=result.provider if result else None, model=result.model if result else None,
        input_tokens=result.usage.input_tokens if result else 0,
        output_tokens=result.usage.output_tokens if result else 0,
        latency_ms=result.latency_ms if result else None, provider_ms=result.provider_ms if result else None)
