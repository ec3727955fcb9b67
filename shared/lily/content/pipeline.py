"""The generation pipeline every use case (generate, repurpose, rewrite) runs:

1. moderate the caller's inputs (blocked → ``CONTENT_004`` naming the category; nothing stored);
2. render the template of each platform (tone × structure × platform) with the brand profile;
3. take one unit of the plan's AI-requests quota and ask the provider for ``n`` posts per platform with a JSON
   schema, giving the unit back if the provider fails. The output budget is sized from the request
   (:func:`post_tokens` per post): one call when it fits ``LILY_CONTENT_MAX_OUTPUT_TOKENS_PER_CALL``, else one call per
   platform (and per group of alternatives), run side by side. An answer cut off at its budget
   (``finish_reason == "length"``) is never parsed: its part is split in two and asked again. Every call of the
   request shares one deadline (``LILY_CONTENT_SYNC_DEADLINE_S``, inside API Gateway's 29 s);
4. fit each post to its platform (:mod:`lily.content.fitting`: the publishing validator must pass);
5. moderate the outputs (blocked ones are reported, never stored);
6. score each against the brand (:mod:`lily.content.scoring`) and store it as a draft; a banned or avoided
   word flags it (not schedulable until edited or approved).
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from lily.ai.ports import CallContext, TextRequest, TextResult, Usage, is_cut_off
from lily.content import brand as brands
from lily.content import drafts, fitting, scoring, templates, voice
from lily.content.ctas import cta_for
from lily.content.ports import ContentPorts
from lily.content.schemas import Blocked, BrandIn, GenerationOut
from lily.content.settings import content_settings
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
    performers: dict[str, list[str]] = field(default_factory=dict)  # per platform: what earned engagement


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


CHARS_PER_TOKEN = 3  # budgeted conservatively: English text averages about 4 characters per token
POST_OVERHEAD_TOKENS = 60  # one post's hashtags and JSON syntax
CALL_OVERHEAD_TOKENS = 50  # the answer object's own syntax
Part = tuple[tuple[str, ...], int]  # the platforms one call asks for, and the posts per platform


def post_tokens(platform: str) -> int:
    """The output budget of one post for ``platform``: its text limit (capped at ``longest_post_chars``) in tokens."""
    chars = min(rules_for(platform).max_text, content_settings().longest_post_chars)
    return math.ceil(chars / CHARS_PER_TOKEN) + POST_OVERHEAD_TOKENS


def budget(part: Part) -> int:
    platforms, n = part
    return CALL_OVERHEAD_TOKENS + n * sum(post_tokens(p) for p in platforms)


def plan(platforms: list[str], n: int) -> list[Part]:
    """One call when the whole request fits the per-call cap; else one per platform, alternatives grouped to fit."""
    cap = content_settings().max_output_tokens_per_call
    whole: Part = (tuple(platforms), n)
    if budget(whole) <= cap:
        return [whole]
    parts: list[Part] = []
    for p in platforms:
        per_call = max(1, (cap - CALL_OVERHEAD_TOKENS) // post_tokens(p))
        left = n
        while left > 0:
            parts.append(((p,), min(per_call, left)))
            left -= per_call
    return parts


def halves(part: Part) -> list[Part]:
    """A cut-off part asked again as two smaller ones (platforms first, then alternatives); [] when it is one post."""
    platforms, n = part
    if len(platforms) > 1:
        mid = len(platforms) // 2
        return [(platforms[:mid], n), (platforms[mid:], n)]
    if n > 1:
        return [(platforms, n // 2), (platforms, n - n // 2)]
    return []


def combined(results: list[TextResult]) -> TextResult:
    """The calls of one generation as one result (usage and cost summed; the calls ran side by side)."""
    first = results[0]
    return first.model_copy(update={
        "usage": Usage(input_tokens=sum(r.usage.input_tokens for r in results),
                       output_tokens=sum(r.usage.output_tokens for r in results),
                       total_tokens=sum(r.usage.total_tokens for r in results)),
        "cost_usd": sum(r.cost_usd for r in results), "attempts": sum(r.attempts for r in results),
        "latency_ms": max(r.latency_ms for r in results),
        "provider_ms": max((r.provider_ms for r in results if r.provider_ms is not None), default=None)})


def ask_all(ports: ContentPorts, ctx: CallContext, job: Job, brand: BrandIn) -> tuple[dict[str, list], TextResult]:
    """Every post the job wants, per platform in order, from as many calls as its budget needs."""

    def request(part: Part) -> TextRequest:
        platforms, n = part
        one = replace(job, n=n)
        rendered = [templates.template_for(job.tone, job.structure, p).render(_values(one, brand, p))
                    for p in platforms]
        prompt = "\n\n".join(r[1] for r in rendered)
        worked = [f"{p}: " + "; ".join(job.performers[p]) for p in platforms if job.performers.get(p)]
        if worked:
            prompt += ("\n\nWhat earned this organization's best engagement (follow it where it fits the topic):\n"
                       + "\n".join(worked))
        if job.task:
            prompt += f"\n\nTask: {job.task}"
        prompt += f"\n\nAnswer with JSON: for each platform, {n} post(s), each with its text and hashtags."
        return TextRequest(instructions=rendered[0][0], prompt=prompt, schema_name="drafts",
                           json_schema=drafts_schema(list(platforms), n), max_output_tokens=budget(part))

    def ask(part: Part) -> list[tuple[Part, TextResult]]:
        try:
            return [(part, ports.ai.generate(request(part), ctx))]
        except LilyError as exc:
            smaller = halves(part) if is_cut_off(exc) else []
            if not smaller:
                raise
            count("content_generation_splits_total", reason="cut_off")
            return [answer for half in smaller for answer in ask(half)]

    parts = plan(job.platforms, job.n)
    ports.quota.consume(ctx.org_id)  # one unit per generation, however many calls it takes
    try:
        if len(parts) == 1:
            answers = ask(parts[0])
        else:
            with ThreadPoolExecutor(max_workers=content_settings().parallel_calls) as pool:
                answers = [a for chunk in pool.map(ask, parts) for a in chunk]
    except Exception:
        ports.quota.release(ctx.org_id)
        raise
    posts: dict[str, list] = {p: [] for p in job.platforms}
    for (platforms, n), result in answers:
        for platform in platforms:
            got = (result.data or {}).get(platform) or []
            if not isinstance(got, list) or not got:
                raise LilyError(ErrorCode.CONTENT_002, "Content generation failed: no post for a platform",
                                {"platform": platform, "provider": result.provider}, retryable=False)
            posts[platform].extend(got[:n])
    return posts, combined([r for _, r in answers])


def estimated_s(platforms: list[str], n: int) -> float:
    """Provider time a generation is estimated to take: its calls (:func:`plan`) in rounds of ``parallel_calls``,
    each round as long as its largest output budget at ``output_tokens_per_s``, plus a second per round."""
    s = content_settings()
    parts = plan(platforms, n)
    rounds = [parts[i:i + s.parallel_calls] for i in range(0, len(parts), s.parallel_calls)]
    return round(sum(1.0 + max(budget(p) for p in r) / s.output_tokens_per_s for r in rounds), 1)


def run(ports: ContentPorts, org_id: str, user_id: str | None, job: Job, screened: dict[str, str],
        deadline_s: float | None = None) -> GenerationOut:
    """``deadline_s``: the provider time the whole generation may take (default: the synchronous window)."""
    ctx = CallContext(org_id=org_id, user_id=user_id, feature=f"content.{job.kind}",
                      deadline=time.monotonic() + (deadline_s or content_settings().sync_deadline_s))
    screen(ports, ctx, screened)
    brand, version = brands.current(org_id)
    template_ids = {p: templates.template_for(job.tone, job.structure, p).template_id for p in job.platforms}
    posts, result = ask_all(ports, ctx, job, brand)
    fitted: list[tuple[str, int, list[str], list[str]]] = []
    for platform in job.platforms:
        for alt, post in enumerate(posts[platform]):
            text = str((post or {}).get("text") or "").strip() if isinstance(post, dict) else ""
            if not text:
                continue
            parts, tags = fitting.fit(platform, text, structure=job.structure,
                                      hashtags=[str(h) for h in (post.get("hashtags") or [])],
                                      brand_hashtags=brand.default_hashtags,
                                      cta=cta_for(platform, job.goal, brand), emoji_policy=brand.emoji_policy)
            fitted.append((platform, alt, parts, tags))
    return store(ports, ctx, job, brand, version, fitted, result, template_ids)


def store(ports: ContentPorts, ctx: CallContext, job: Job, brand: BrandIn, version: int,
          fitted: list[tuple[str, int, list[str], list[str]]], result: TextResult | None,
          template_ids: dict[str, str]) -> GenerationOut:
    """Moderate the outputs, score and store the drafts that pass."""
    verdicts = ports.ai.moderate([fitting.join_thread(parts) for _, _, parts, _ in fitted], ctx)
    voices = voice.similarities(ports.ai, ctx, [fitting.join_thread(parts) for _, _, parts, _ in fitted],
                                brand.example_posts)
    generation_id = ids.new_id("gen")
    out, blocked = [], []
    for (platform, alt, parts, tags), verdict, similarity in zip(fitted, verdicts, voices, strict=True):
        if verdict.flagged:
            count("content_moderation_blocks_total", stage="output", feature=ctx.feature)
            blocked.append(Blocked(platform=platform, alternative=alt, categories=verdict.categories))
            continue
        text = fitting.join_thread(parts)
        out.append(drafts.create(
            ctx.org_id, generation_id, kind=job.kind, platform=platform, alternative=alt, structure=job.structure,
            tone=job.tone, goal=job.goal, parts=parts, hashtags=tags, template_id=template_ids.get(platform),
            result=result, brand_version=version,
            score=scoring.score(text, platform, brand, job.tone, voice=similarity),
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
