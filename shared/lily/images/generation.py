"""The image worker's use case: run one job's quality loop.

1. claim the job (queued → running, or a running job whose lease ran out) by a conditional write;
2. up to ``1 + max_retries`` attempts: generate (the rendered request, provider model named), moderate the image
   (blocked → the job is ``blocked`` with the category, nothing stored), post-process (centre crop to the
   platform's exact aspect), score it (:mod:`lily.images.quality` heuristics + the judges), and stop at the first
   image that reaches the plan's and quality's threshold with no score under its floor (a blurred or wrong-size
   image fails whatever its total); otherwise the next attempt's prompt says what to fix
   (the reasons are fed back). ``max_latency_ms`` stops retrying early. A vision judge that is unavailable
   does not fail the job: the image is scored on its pixel heuristics alone and marked ``judged_by: heuristics``.
   Moderation fails closed: when it is unavailable the job fails with that reason and nothing is delivered;
3. no image passed: the text card in the brand palette (moderated too), with the reason recorded;
4. deliver: alt text, the bytes stored as a media item (S3 + ``publishing_media``), the job ``done`` with its
   metadata; the held quota unit is kept. A job that ends with nothing delivered gives it back only when no
   provider call was paid for (no image was answered: ``paid`` is set with the first one); the calls' cost is in
   ``ai_usage`` either way. The org's media storage is checked before the first generation (no room: the job
   fails before anything is paid, its unit comes back).

Metrics: ``image_quality_score{model,quality,platform}``, ``image_generation_duration_seconds{model,outcome,quality}``,
``image_attempts_total{model,outcome}``, ``image_moderation_blocks_total{stage}``.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, NamedTuple

from aws_lambda_powertools.metrics import MetricUnit

from lily.ai.ports import CallContext, ImageRequest, ModerationVerdict
from lily.core import clock, events
from lily.core.db import won
from lily.core.errors import LilyError
from lily.core.observability import count, logger, observe
from lily.images import alt_text, card, quality
from lily.images.contract import PromptContract
from lily.images.judge import Judge, VisionJudge, combine
from lily.images.messages import ImageJobMessage
from lily.images.models import ImageJob
from lily.images.ports import ImagePorts
from lily.images.rendering.common import Rendered
from lily.images.settings import ImagesSettings, images_settings

FIXES = {
    "resolution": "exactly the requested size and aspect ratio, full resolution",
    "sharpness": "crisp, in sharp focus, no blur",
    "exposure": "balanced exposure, nothing blown out or too dark",
    "contrast": "strong contrast and clear separation of subject and background",
    "palette": "use the brand palette colours prominently",
    "structure": "a clear composition of recognisable shapes, no noise or static",
}


class Delivery:
    def __init__(self, data: bytes, content_type: str, size: tuple[int, int], score: float,
                 source: bytes, source_type: str, provider_ms: float | None = None, fallback: str | None = None,
                 reason: str | None = None, described: str | None = None, judged_by: str = "heuristics") -> None:
        self.data, self.content_type, self.size, self.score = data, content_type, size, score
        self.source, self.source_type = source, source_type  # what the vision model describes
        self.described = described  # the judge's description of it, when it was asked for one
        self.provider_ms, self.fallback, self.reason = provider_ms, fallback, reason
        self.judged_by = judged_by


def _claim(job: ImageJob, lease_s: int) -> bool:
    now = clock.now()
    actions = [ImageJob.status.set("running"), ImageJob.stage.set("starting"), ImageJob.updated_at.set(now)]
    if job.status == "queued":
        return won(lambda: job.update(actions=actions, condition=ImageJob.status == "queued"))
    if job.status == "running" and job.updated_at < now - timedelta(seconds=lease_s):
        stale = job.updated_at
        return won(lambda: job.update(actions=actions, condition=(ImageJob.status == "running")
                                      & (ImageJob.updated_at == stale)))
    return False


class Superseded(Exception):
    """Another worker took the job over (this one's lease ran out): this one must stop writing and delivering."""


def _write(job: ImageJob, actions: list) -> None:
    """One write by the job's holder: only while the job is running and nobody else wrote since our last write
    (a takeover rewrites ``updated_at``), else :class:`Superseded`."""
    mine = job.updated_at
    if not won(lambda: job.update(actions=[*actions, ImageJob.updated_at.set(clock.now())],
                                  condition=(ImageJob.status == "running") & (ImageJob.updated_at == mine))):
        raise Superseded(job.job_id)


def _progress(job: ImageJob, **changes: Any) -> None:
    _write(job, [getattr(ImageJob, k).set(v) for k, v in changes.items()])


def judges(ports: ImagePorts, s: ImagesSettings, contract: PromptContract) -> list[Judge]:
    """The vision judge also writes the alt text when the job wants the vision model's (one call per image)."""
    describe = s.vision_alt_text and contract.generate_alt_text
    return [VisionJudge(ports.ai, describe=describe)] if s.vision_judge else []


class Scored(NamedTuple):
    data: bytes  # what is delivered (cropped to the platform's aspect when post-processing is on)
    size: tuple[int, int]
    score: float  # heuristic and judges combined
    scores: dict[str, float]
    reasons: list[str]
    described: str | None  # alt text a judge wrote, if any
    judged_by: str  # vision | heuristics (no judge configured, or every judge unavailable)


def enhanced(prompt: str, weak: list[str], reasons: list[str]) -> str:
    fixes = [FIXES[w] for w in weak if w in FIXES] + [r for r in reasons if r][:2]
    base = prompt.split("\nFix from the last attempt:", 1)[0]
    return f"{base}\nFix from the last attempt: {'; '.join(fixes)}." if fixes else base


def score_image(ports: ImagePorts, s: ImagesSettings, contract: PromptContract, rendered: Rendered,
                raw: bytes, raw_type: str, ctx: CallContext) -> Scored:
    """One generated image measured and judged."""
    image = quality.load(raw)
    raw_size = image.size
    if contract.enable_post_processing:
        image = quality.crop_to(image, rendered.aspect)
    scores = quality.measure(image, raw_size=raw_size, requested_aspect=rendered.requested_aspect,
                             min_pixels=rendered.min_pixels, palette=rendered.palette,
                             sharpness_reference=s.sharpness_reference)
    heuristic = quality.heuristic(scores, s.heuristic_weights)
    judged = []
    for j in judges(ports, s, contract):
        try:
            judged.append(j.judge(raw, raw_type, contract, rendered, ctx))
        except LilyError as exc:  # the judge's provider is down: the pixels still score the image
            count("image_judge_fallbacks_total", judge=j.name, model=rendered.provider_model)
            logger.warning("image judge unavailable; scored on heuristics", extra={
                "judge": j.name, "code": exc.code.value, "reason": exc.details.get("reason")})
    for j in judged:
        scores[j.name] = j.score
        scores.update({f"{j.name}_{k}": v for k, v in j.parts.items()})
    scores["heuristic"] = heuristic
    reasons = [r for j in judged for r in j.reasons]
    reasons += [f"shows what must not be there: {', '.join(j.shows_avoided)}" for j in judged if j.shows_avoided]
    data = raw if image.size == raw_size else quality.encode(image, raw_type)
    return Scored(data, image.size, combine(heuristic, judged, s.vision_weight), scores, reasons,
                  next((j.alt_text for j in judged if j.alt_text), None), "vision" if judged else "heuristics")


def moderated(ports: ImagePorts, data: bytes, content_type: str, ctx: CallContext) -> ModerationVerdict:
    """The image's verdict. Moderation fails closed: unavailable → a LilyError naming it (the job fails, nothing
    unmoderated is delivered)."""
    try:
        return ports.ai.moderate_image(data, content_type, ctx)
    except LilyError as exc:
        count("image_moderation_unavailable_total")
        raise LilyError(exc.code, "Image moderation was unavailable, so no image was delivered (moderation fails "
                                  f"closed): {exc.message}", exc.details, retryable=exc.retryable) from None


def process(msg: ImageJobMessage, ports: ImagePorts, *, last_delivery: bool = False) -> str:
    """Run one job. ``last_delivery``: SQS will not deliver this message again (its next stop is the DLQ), so an
    unexpected error fails the job and gives its unit back instead of handing it back to a queue that won't."""
    s = images_settings()
    try:
        job = ImageJob.get(msg.org_id, msg.job_id, consistent_read=True)
    except ImageJob.DoesNotExist:
        logger.warning("image job not found", extra={"org_id": msg.org_id, "job_id": msg.job_id})
        return "missing"
    if not _claim(job, s.job_lease_s):
        return f"skipped:{job.status}"
    contract = PromptContract(**job.contract)
    ctx = CallContext(org_id=job.org_id, user_id=job.created_by, feature="images.generate")
    try:
        if not job.paid:  # where the image will go, before paying for it (upload reservations may have filled it)
            ports.media.check_room(job.org_id, s.storage_room_bytes)
        delivery = _loop(ports, s, job, contract, ctx)
        if delivery is None:
            return "blocked"
        _deliver(ports, s, job, contract, ctx, delivery)
        return "done"
    except Superseded:  # the job's new holder finishes it
        logger.warning("image job taken over by another worker", extra={"job_id": job.job_id})
        return "superseded"
    except LilyError as exc:  # the provider or a rule refused: the job fails with the reason, its quota comes back
        _finish_empty(ports, job, "failed", reason=exc.message, stage="failed")
        return "failed"
    except Exception:  # unexpected (a bug, AWS unavailable): the message is retried by SQS, then dead-lettered
        if last_delivery:  # no retry left: the job fails visibly and its unit comes back (a redrive then skips it)
            _finish_empty(ports, job, "failed", stage="failed",
                          reason="an internal error stopped the job; it was not charged (support has its message)")
        else:  # hand the job back so SQS's redelivery runs it again
            won(lambda: job.update(actions=[ImageJob.status.set("queued"), ImageJob.stage.set("requeued"),
                                            ImageJob.updated_at.set(clock.now())],
                                   condition=ImageJob.status == "running"))
        raise


def _loop(ports: ImagePorts, s: ImagesSettings, job: ImageJob, contract: PromptContract,
          ctx: CallContext) -> Delivery | None:
    rendered = Rendered(**job.rendered)
    prompt, log, started, last_reason = rendered.prompt, [], time.perf_counter(), "no attempt"
    for attempt in range(1, int(job.max_attempts) + 1):
        elapsed_ms = (time.perf_counter() - started) * 1000
        if contract.max_latency_ms and attempt > 1 and elapsed_ms * attempt / (attempt - 1) > contract.max_latency_ms:
            last_reason = f"stopped retrying: max_latency_ms {contract.max_latency_ms} would be exceeded"
            break
        _progress(job, attempt=attempt, stage="generating")
        try:
            image = ports.ai.generate_image(ImageRequest(provider=rendered.provider, model=rendered.provider_model,
                                                         prompt=prompt, params=rendered.params), ctx)
        except LilyError as exc:  # one failed attempt (provider unavailable or refused); the next may succeed
            count("image_attempts_total", model=job.model, outcome="provider_error")
            last_reason = exc.message
            log.append({"attempt": attempt, "score": 0.0, "scores": {}, "reasons": [exc.message]})
            _progress(job, attempts_log=log)
            continue
        if not job.paid:
            _progress(job, paid=True)
        _progress(job, stage="moderating")
        verdict = moderated(ports, image.data, image.content_type, ctx)
        if verdict.flagged:
            count("image_moderation_blocks_total", stage="image")
            _finish_empty(ports, job, "blocked", reason="the generated image was blocked by moderation",
                          stage="blocked", blocked={"stage": "image", "categories": verdict.categories})
            return None
        _progress(job, stage="scoring")
        scored = score_image(ports, s, contract, rendered, image.data, image.content_type, ctx)
        score, scores, reasons = scored.score, scored.scores, scored.reasons
        observe("image_quality_score", score, unit=MetricUnit.NoUnit, model=job.model, quality=contract.quality,
                platform=contract.platform)
        under = quality.under_floors(scores, s.floors)
        log.append({"attempt": attempt, "score": score, "scores": scores, "latency_ms": image.latency_ms,
                    "judged_by": scored.judged_by,
                    "reasons": [*(f"{k} under its floor {s.floors[k]}" for k in under), *reasons]})
        _progress(job, attempts_log=log, current_score=score)
        if score >= float(job.threshold) and not under:
            count("image_attempts_total", model=job.model, outcome="passed")
            return Delivery(scored.data, image.content_type, scored.size, score, image.data, image.content_type,
                            provider_ms=image.provider_ms, described=scored.described, judged_by=scored.judged_by)
        count("image_attempts_total", model=job.model, outcome="below_threshold")
        weak = sorted((k for k in FIXES if k in scores and scores[k] < 0.6), key=lambda k: scores[k])
        last_reason = (f"{', '.join(under)} under the floor" if under else
                       f"score {score} below {float(job.threshold)}") + f"; weak: {', '.join(weak) or 'judgement'}"
        prompt = enhanced(prompt, weak, reasons)
    return _card(ports, s, job, contract, rendered, ctx, last_reason)


def _card(ports: ImagePorts, s: ImagesSettings, job: ImageJob, contract: PromptContract, rendered: Rendered,
          ctx: CallContext, reason: str) -> Delivery | None:
    _progress(job, stage="fallback")
    image, fg, bg = card.render_card(contract.content_context or contract.prompt, rendered.aspect, rendered.palette)
    data = quality.encode(image, "image/png")
    verdict = moderated(ports, data, "image/png", ctx)
    if verdict.flagged:
        count("image_moderation_blocks_total", stage="image")
        _finish_empty(ports, job, "blocked", reason="the fallback card was blocked by moderation", stage="blocked",
                      blocked={"stage": "image", "categories": verdict.categories})
        return None
    scores = quality.measure(image, raw_size=image.size, requested_aspect=image.size[0] / image.size[1],
                             min_pixels=rendered.min_pixels, palette=rendered.palette,
                             sharpness_reference=s.sharpness_reference)
    scores["legibility"] = quality.legibility_score(fg, bg)
    score = quality.heuristic(scores, s.heuristic_weights)
    count("image_fallbacks_total", model=job.model, kind="text_card")
    return Delivery(data, "image/png", image.size, score, data, "image/png", fallback="text_card",
                    reason=f"no generated image passed ({reason}); delivered a text card")


def _deliver(ports: ImagePorts, s: ImagesSettings, job: ImageJob, contract: PromptContract, ctx: CallContext,
             d: Delivery) -> None:
    _progress(job, stage="alt_text")
    alt = None
    if contract.generate_alt_text:
        if d.fallback == "text_card":
            alt = alt_text.tidy(f"Text card reading: “{card.headline_of(contract.content_context or contract.prompt)}”")
        elif d.described:
            alt = alt_text.tidy(d.described)
        elif s.vision_alt_text:  # no judge described it: ask the vision model for the alt text alone
            alt = alt_text.with_vision(ports.ai, d.source, d.source_type, contract, ctx)
        else:
            alt = alt_text.from_prompt(contract)
    _progress(job, stage="storing")  # raises Superseded before anything is stored if the job was taken over
    media_id, _key = ports.media.store(job.org_id, d.data, d.content_type, name=job.job_id,
                                      alt_text=alt, created_by=job.created_by, generated=True)
    now = clock.now()
    duration = round((now - job.created_at).total_seconds(), 3)
    _write(job, [
        ImageJob.status.set("done"), ImageJob.stage.set("done"), ImageJob.media_id.set(media_id),
        ImageJob.content_type.set(d.content_type), ImageJob.width.set(d.size[0]),
        ImageJob.height.set(d.size[1]), ImageJob.alt_text.set(alt), ImageJob.fallback.set(d.fallback),
        ImageJob.reason.set(d.reason), ImageJob.score.set(d.score), ImageJob.judged_by.set(d.judged_by),
        ImageJob.current_score.set(d.score),
        ImageJob.duration_s.set(duration), ImageJob.provider_ms.set(d.provider_ms), ImageJob.finished_at.set(now)])
    observe("image_generation_duration_seconds", duration, model=job.model, outcome=d.fallback or "generated",
            quality=_quality(job))
    events.emit("image.ready", job.org_id, {
        "job_id": job.job_id, "media_id": media_id, "content_type": d.content_type, "width": d.size[0],
        "height": d.size[1], "alt_text": alt, "fallback": d.fallback})


def _finish_empty(ports: ImagePorts, job: ImageJob, status: str, *, reason: str, stage: str,
                  blocked: dict | None = None) -> None:
    """End a job with nothing delivered; give its quota unit back (once: the flag is cleared conditionally) unless a
    provider call was paid for (then the unit stays used)."""
    now, mine = clock.now(), job.updated_at
    released = won(lambda: job.update(
        actions=[ImageJob.status.set(status), ImageJob.stage.set(stage), ImageJob.reason.set(reason),
                 ImageJob.blocked.set(blocked), ImageJob.quota_held.set(False), ImageJob.finished_at.set(now),
                 ImageJob.updated_at.set(now), ImageJob.duration_s.set(round((now - job.created_at).total_seconds(),
                                                                           3))],
        # once, and only by the job's holder (a pynamodb condition, not a comparison)
        condition=(ImageJob.quota_held == True) & (ImageJob.updated_at == mine)))  # noqa: E712
    if released and not job.paid:
        ports.quota.release(job.org_id)
    elif released:
        count("image_units_kept_total", status=status)
    observe("image_generation_duration_seconds", float(job.duration_s or 0), model=job.model, outcome=status,
            quality=_quality(job))


def _quality(job: ImageJob) -> str:
    """The job's requested quality tier (a metric label), from its stored contract."""
    return str((job.contract or {}).get("quality") or "unknown")
