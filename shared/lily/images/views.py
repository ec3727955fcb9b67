"""An image job as the API shows it."""

from __future__ import annotations

from lily.images.contract import PromptContract
from lily.images.models import ImageJob
from lily.images.schemas import AttemptOut, ImageJobOut, Progress


def job_out(job: ImageJob) -> ImageJobOut:
    return ImageJobOut(
        job_id=job.job_id, status=job.status, stage=job.stage, model=job.model,
        provider_model=job.rendered["provider_model"],
        contract=PromptContract(**job.contract),
        progress=Progress(attempt=int(job.attempt), max_attempts=int(job.max_attempts),
                          current_score=job.current_score, threshold=float(job.threshold)),
        attempts=[AttemptOut(**a) for a in (job.attempts_log or [])], media_id=job.media_id,
        content_type=job.content_type, width=int(job.width) if job.width else None,
        height=int(job.height) if job.height else None, alt_text=job.alt_text, fallback=job.fallback,
        reason=job.reason, blocked=job.blocked, score=job.score, judged_by=job.judged_by, duration_s=job.duration_s,
        provider_ms=job.provider_ms, created_at=job.created_at, finished_at=job.finished_at)
