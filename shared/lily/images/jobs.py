"""``POST /api/orgs/{org_id}/images`` (accept a generation job: 202) and reading jobs.

Accepting does everything that can be refused at once: the contract's policy and plan checks (router), its
rendering (options the provider does not take are a 422), moderation of the prompt (blocked → CONTENT_004
naming the field and categories; nothing stored, no quota taken), then one unit of the month's image quota is
held for the job, the job is stored and queued. The worker keeps the unit when it delivers an image and gives it
back when the job ends with nothing delivered.
"""

from __future__ import annotations

from lily.ai.ports import CallContext
from lily.core import clock, ids
from lily.core.errors import ErrorCode, LilyError, not_found
from lily.core.observability import count
from lily.core.pages import PageParams, query_page
from lily.images import messages, rendering
from lily.images.contract import PromptContract
from lily.images.model_choice import route
from lily.images.models import ImageJob
from lily.images.org_settings import current as current_settings
from lily.images.personalisation import personalise
from lily.images.ports import ImagePorts
from lily.images.rendering.common import Rendered
from lily.images.schemas import ImageJobOut, ImageJobPage
from lily.images.settings import images_settings
from lily.images.views import job_out


def screen_prompt(ports: ImagePorts, ctx: CallContext, contract: PromptContract, rendered: Rendered) -> None:
    """Moderate the caller's fields and the final prompt as the provider will receive it (the vault style, the
    org's settings, visual style, mood, tone, industry and brand keywords all end up in it), every category of
    the text moderation, in one call."""
    fields = {"prompt": contract.prompt, "negative_prompt": contract.negative_prompt,
              "content_context": contract.content_context or "",
              "prompt_as_sent": "\n".join([rendered.prompt, *rendered.negatives,
                                           *(v for v in rendered.params.values() if isinstance(v, str))])}
    names = [k for k, v in fields.items() if v.strip()]
    verdicts = ports.ai.moderate([fields[k] for k in names], ctx)
    for name, verdict in zip(names, verdicts, strict=True):
        if verdict.flagged:
            count("image_moderation_blocks_total", stage="prompt")
            raise LilyError(ErrorCode.CONTENT_004, f"The {name} was blocked by moderation",
                            {"stage": "prompt", "field": name, "categories": verdict.categories})


def accept(ports: ImagePorts, org_id: str, contract: PromptContract, user_id: str | None) -> ImageJobOut:
    if contract.reference_images and (foreign := ports.media.missing(org_id, contract.reference_images)):
        # a media id of another org (or none at all) is refused, never recorded on the job
        raise LilyError(ErrorCode.VALIDATION_004, "Reference images must be media items of this organization",
                        {"field": "reference_images", "media_ids": foreign})
    org, _ = current_settings(org_id)
    if "quality" not in contract.model_fields_set:
        contract = contract.model_copy(update={"quality": org.default_quality})
    plan = ports.plans.view(org_id)
    personalisation, default_model = personalise(org_id, contract, org)
    model = route(contract, plan, default_model)
    rendered = rendering.render(model, contract, personalisation)
    screen_prompt(ports, CallContext(org_id=org_id, user_id=user_id, feature="images.prompt"), contract, rendered)
    ports.media.check_room(org_id, images_settings().storage_room_bytes)  # no room: refused before any unit is taken
    ports.quota.consume(org_id)
    now = clock.now()
    job = ImageJob(org_id, ids.new_id("imgjob"), status="queued", stage="queued",
                   contract=contract.model_dump(mode="json"), model=model,
                   rendered=rendered.model_dump(mode="json"),
                   threshold=images_settings().threshold(contract.quality, plan.plan_id),
                   max_attempts=1 + contract.max_retries, quota_held=True, created_by=user_id, created_at=now,
                   updated_at=now)
    try:
        job.save(condition=ImageJob.job_id.does_not_exist())
        messages.send(messages.ImageJobMessage(org_id=org_id, job_id=job.job_id))
    except Exception:  # nothing will run the job: give its quota unit back, then fail the request
        ports.quota.release(org_id)
        raise
    count("image_jobs_total", model=model, quality=contract.quality)
    return job_out(job)


def get(org_id: str, job_id: str) -> ImageJobOut:
    try:
        return job_out(ImageJob.get(org_id, job_id, consistent_read=True))
    except ImageJob.DoesNotExist:
        raise not_found("Image job", job_id=job_id) from None


def list_jobs(org_id: str, page: PageParams) -> ImageJobPage:
    items, cursor = query_page(
        lambda start, n: ImageJob.query(org_id, scan_index_forward=False, last_evaluated_key=start, limit=n),
        {"org_id": org_id}, page, job_out)
    return ImageJobPage(items=items, next_cursor=cursor)
