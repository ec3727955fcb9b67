"""Images' implementation of autopilot's :class:`lily.autopilot.ports.Images`: one image job for an autopilot
post, accepted by the image pipeline's own use case (:func:`lily.images.jobs.accept`: the contract's plan checks,
prompt moderation, the media-storage check, the job stored and queued) and run by the image worker like any other.

Autopilot reserves the job's ``image_generations`` unit before it asks (its hard caps), so acceptance runs with
:class:`ReservedUpstream` as its quota: the unit is not taken twice. The worker's own quota gives the unit back
when the job ends with nothing paid for, exactly as for a job the API accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, get_args

from lily.autopilot.ports import ImageState
from lily.core.errors import ErrorCode, LilyError

if TYPE_CHECKING:
    from lily.images.ports import ImagePorts

PROMPT = "An image for this social media post, on its topic: {topic}"


class ReservedUpstream:
    """Images' QuotaPort when the caller (autopilot) has already reserved the unit."""

    def consume(self, org_id: str, amount: int = 1) -> None:
        return None

    def release(self, org_id: str, amount: int = 1) -> None:
        return None  # the caller gives its own reservation back when the job could not start


class AutopilotImages:
    def __init__(self, ports: Callable[[], ImagePorts]) -> None:
        self.ports = ports

    def start(self, org_id: str, prompt: str, platform: str, context: str) -> str:
        # the pipeline loads at the first image (a run without images, and the worker's cold start, do not pay it)
        from lily.images import jobs
        from lily.images.contract import Platform, PromptContract

        if platform not in get_args(Platform):
            raise LilyError(ErrorCode.VALIDATION_001, f"no image is made for {platform} posts",
                            {"field": "platform", "platform": platform})
        contract = PromptContract(prompt=PROMPT.format(topic=prompt[:300]), platform=platform,
                                  content_context=context[:2000] or None)
        return jobs.accept(self.ports()._replace(quota=ReservedUpstream()), org_id, contract, None).job_id

    def state(self, org_id: str, job_id: str) -> ImageState:
        from lily.images.models import ImageJob

        try:
            job = ImageJob.get(org_id, job_id, consistent_read=True)
        except ImageJob.DoesNotExist:
            return ImageState("failed", reason="the image job does not exist")
        if job.status == "done":
            return ImageState("done", media_id=job.media_id, charged=True)
        if job.status in ("failed", "blocked"):
            return ImageState("failed", reason=f"image {job.status}: {job.reason or 'no reason given'}",
                              charged=bool(job.paid))
        return ImageState("pending")
