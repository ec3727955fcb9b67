"""Large generations as jobs: ``POST .../content/generate`` answers 202 with a job when the request would not fit
API Gateway's 29 s window, and the content worker runs it (``GET .../content/jobs/{job_id}`` reads it).

The rule (docs/content.md, "Large requests"): the request's provider time is estimated from its output budget
(:func:`lily.content.pipeline.estimated_s`: its calls in rounds of ``LILY_CONTENT_PARALLEL_CALLS``, each round as
long as its largest budget at ``LILY_CONTENT_OUTPUT_TOKENS_PER_S``, plus a second a round). Over
``LILY_CONTENT_SYNC_DEADLINE_S`` it is a job; otherwise it is answered at once (201), within that deadline.

The job is ``queued`` with the validated request and one message goes to the ``content_jobs`` queue; the worker
claims it (queued → running, a conditional write), runs the same generation with ``LILY_CONTENT_JOB_DEADLINE_S``
and stores the answer (done) or the error (failed). The AI quota unit is taken by the generation itself, as in the
synchronous path. An unexpected error hands the job back to SQS, except on the message's last delivery: then the
job fails (nothing is left ``running``).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from lily.content.generate import generate
from lily.content.models import ContentJob
from lily.content.pipeline import estimated_s
from lily.content.ports import ContentPorts
from lily.content.schemas import GenerateIn, GenerationJobOut, GenerationOut
from lily.content.settings import content_settings
from lily.core import clock, ids, queues
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, not_found
from lily.core.observability import count, logger
from lily.core.schema import Schema

QUEUE = "content_jobs"
DELIVERIES = 3  # SQS delivers a job's message this many times (the queue's maxReceiveCount), then dead-letters it
RETENTION = timedelta(days=7)


class ContentJobMessage(Schema):
    org_id: str = Field(min_length=1, max_length=128)
    job_id: str = Field(pattern=r"^cjb_[0-9a-z]{26}$")


def is_large(body: GenerateIn) -> float | None:
    """The estimated provider seconds when the request goes to a job, else None (answered synchronously)."""
    estimate = estimated_s(list(body.platforms), body.n)
    return estimate if estimate > content_settings().sync_deadline_s else None


def job_out(j: ContentJob) -> GenerationJobOut:
    return GenerationJobOut(job_id=j.job_id, status=j.status, estimated_s=float(j.estimated_s),
                            result=GenerationOut.model_validate(j.result) if j.result else None, error=j.error,
                            created_at=j.created_at, finished_at=j.finished_at)


def accept(org_id: str, body: GenerateIn, user_id: str | None, estimate: float) -> GenerationJobOut:
    now = clock.now()
    job = ContentJob(org_id, ids.new_id("cjb"), status="queued", request=body.model_dump(mode="json"),
                     estimated_s=estimate, created_by=user_id, created_at=now, updated_at=now,
                     expires_at=now + RETENTION)
    job.save(condition=ContentJob.job_id.does_not_exist())
    try:
        queues.send(QUEUE, ContentJobMessage(org_id=org_id, job_id=job.job_id).model_dump())
    except Exception:  # nothing will run it: it fails visibly
        _finish(job, "failed", error=LilyError(ErrorCode.SYSTEM_002, "The job could not be queued").body()["error"])
        raise
    count("content_jobs_total", outcome="queued")
    return job_out(job)


def get(org_id: str, job_id: str) -> GenerationJobOut:
    try:
        return job_out(ContentJob.get(org_id, job_id, consistent_read=True))
    except ContentJob.DoesNotExist:
        raise not_found("Content job", job_id=job_id) from None


def _finish(job: ContentJob, status: str, **changes) -> bool:
    now = clock.now()
    actions = [ContentJob.status.set(status), ContentJob.finished_at.set(now), ContentJob.updated_at.set(now)]
    actions += [getattr(ContentJob, k).set(v) for k, v in changes.items()]
    return won(lambda: job.update(actions=actions, condition=ContentJob.status.is_in("queued", "running")))


def process(msg: ContentJobMessage, ports: ContentPorts, *, last_delivery: bool = False) -> str:
    try:
        job = ContentJob.get(msg.org_id, msg.job_id, consistent_read=True)
    except ContentJob.DoesNotExist:
        logger.warning("content job not found", extra={"org_id": msg.org_id, "job_id": msg.job_id})
        return "missing"
    previous = job.status
    if previous not in ("queued", "running") or not won(lambda: job.update(
            actions=[ContentJob.status.set("running"), ContentJob.updated_at.set(clock.now())],
            condition=ContentJob.status == previous)):
        return "duplicate"
    try:
        out = generate(ports, job.org_id, GenerateIn.model_validate(job.request), job.created_by,
                       deadline_s=content_settings().job_deadline_s)
    except LilyError as exc:
        _finish(job, "failed", error=exc.body()["error"])
        count("content_jobs_total", outcome="failed")
        return "failed"
    except Exception:
        if last_delivery:
            _finish(job, "failed", error=LilyError(ErrorCode.SYSTEM_001, "The generation stopped on an internal "
                                                                         "error on its last attempt").body()["error"])
        raise
    _finish(job, "done", result=out.model_dump(mode="json"))
    count("content_jobs_total", outcome="done")
    return "done"
