"""Export and erasure jobs: requesting them, reading them, cancelling an erasure in its grace period.

A subject is ``user#<user_id>`` (a person's own data) or ``org#<org_id>`` (an organization's, its owner asking).
An export is queued at once; an erasure is scheduled ``LILY_PRIVACY_ERASURE_GRACE_DAYS`` (7) ahead, cancellable
until then, and queued by the ``privacy_schedule`` job when it is due. One live erasure per subject.
"""

from __future__ import annotations

from datetime import timedelta

from lily.core import clock, ids
from lily.core.db import is_live, won
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count, logger
from lily.privacy import messages
from lily.privacy.messages import PrivacyMessage
from lily.privacy.models import PrivacyJob
from lily.privacy.ports import DataSubjects
from lily.privacy.schemas import JobProgress, PrivacyJobOut
from lily.privacy.settings import privacy_settings

PENDING = "erasure"


def subject_key(kind: str, subject_id: str) -> str:
    return f"{kind}#{subject_id}"


def view(job: PrivacyJob) -> PrivacyJobOut:
    return PrivacyJobOut(
        job_id=job.job_id, kind=job.kind, subject=job.subject.split("#", 1)[0], state=job.state,
        progress=JobProgress.model_validate(job.progress or {}), created_at=clock.iso(job.created_at),
        run_after=clock.iso(job.run_after) if job.run_after else None,
        finished_at=clock.iso(job.finished_at) if job.finished_at else None,
        emailed=bool(job.archive_key and job.state == "done"), error=job.error)


def _not_found(job_id: str) -> LilyError:
    return LilyError(ErrorCode.VALIDATION_004, "No such job", {"job_id": job_id})


def get(kind: str, subject_id: str, job_id: str) -> PrivacyJob:
    try:
        job = PrivacyJob.get(subject_key(kind, subject_id), job_id, consistent_read=True)
    except PrivacyJob.DoesNotExist:
        raise _not_found(job_id) from None
    if not is_live(job):
        raise _not_found(job_id)
    return job


def request_export(kind: str, subject_id: str, requested_by: str, notify_email: str | None) -> PrivacyJobOut:
    if not notify_email:
        raise LilyError(ErrorCode.VALIDATION_003, "The export link is e-mailed: the account has no address")
    now = clock.now()
    job = PrivacyJob(subject_key(kind, subject_id), ids.new_id("pexp"), kind="export", state="queued",
                     requested_by=requested_by, notify_email=notify_email,
                     progress={"step": "queued", "tables_done": 0, "tables_total": 0, "records": 0},
                     created_at=now, updated_at=now,
                     expires_at=now + timedelta(days=privacy_settings().export_keep_days))
    job.save(condition=PrivacyJob.job_id.does_not_exist())
    messages.send(PrivacyMessage(subject=job.subject, job_id=job.job_id))
    count("privacy_jobs_total", kind="export", subject=kind)
    logger.info("export requested", extra={"subject_kind": kind, "job_id": job.job_id})
    return view(job)


def live_erasure(kind: str, subject_id: str) -> PrivacyJob | None:
    for job in PrivacyJob.query(subject_key(kind, subject_id), consistent_read=True):
        if job.kind == "erasure" and job.state in ("scheduled", "queued", "running"):
            return job
    return None


def refuse_owner_with_members(subjects: DataSubjects, user_id: str) -> None:
    """A person who owns an organization with other members cannot be erased: that would erase the others' work.
    They transfer the ownership, or delete the organization, first."""
    blocking = [o.org_id for o in subjects.owned_orgs(user_id) if o.members > 1]
    if blocking:
        raise LilyError(ErrorCode.VALIDATION_003, "You own an organization with other members: transfer its "
                        "ownership or delete the organization first", {"org_ids": blocking})


def schedule_erasure(subjects: DataSubjects, kind: str, subject_id: str, requested_by: str) -> PrivacyJobOut:
    if kind == "user":
        refuse_owner_with_members(subjects, subject_id)
    existing = live_erasure(kind, subject_id)
    if existing is not None:
        return view(existing)  # asking again changes nothing (idempotent)
    now = clock.now()
    run_after = now + timedelta(days=privacy_settings().erasure_grace_days)
    job = PrivacyJob(subject_key(kind, subject_id), ids.new_id("pera"), kind="erasure", state="scheduled",
                     requested_by=requested_by, progress={"step": "scheduled"}, pending_shard=PENDING,
                     run_after=run_after, created_at=now, updated_at=now)
    job.save(condition=PrivacyJob.job_id.does_not_exist())
    count("privacy_jobs_total", kind="erasure", subject=kind)
    logger.info("erasure scheduled", extra={"subject_kind": kind, "job_id": job.job_id,
                                            "run_after": clock.iso(run_after)})
    return view(job)


def erasure_of(kind: str, subject_id: str) -> PrivacyJob:
    job = live_erasure(kind, subject_id)
    if job is None:
        raise LilyError(ErrorCode.VALIDATION_004, "No erasure is scheduled")
    return job


def cancel_erasure(kind: str, subject_id: str) -> PrivacyJobOut:
    job = erasure_of(kind, subject_id)
    now = clock.now()
    if not won(lambda: job.update(
            actions=[PrivacyJob.state.set("cancelled"), PrivacyJob.pending_shard.remove(),
                     PrivacyJob.updated_at.set(now), PrivacyJob.finished_at.set(now),
                     PrivacyJob.expires_at.set(now + timedelta(days=privacy_settings().export_keep_days))],
            condition=PrivacyJob.state == "scheduled")):
        raise LilyError(ErrorCode.VALIDATION_003, "The erasure has started: it can no longer be cancelled")
    count("privacy_erasures_cancelled_total", subject=kind)
    return view(job)


def enqueue_due(limit: int = 100) -> int:
    """The ``privacy_schedule`` job: queue every erasure whose grace period is over."""
    sent = 0
    for job in PrivacyJob.pending.query(PENDING, PrivacyJob.run_after <= clock.now(), limit=limit):
        # no longer cancellable from here on; one message per erasure (SQS redelivers it if a worker dies)
        if not won(lambda: job.update(  # noqa: B023 - called at once
                actions=[PrivacyJob.state.set("queued"), PrivacyJob.pending_shard.remove(),
                         PrivacyJob.updated_at.set(clock.now())],
                condition=PrivacyJob.state == "scheduled")):
            continue
        try:
            messages.send(PrivacyMessage(subject=job.subject, job_id=job.job_id))
        except Exception:  # noqa: BLE001 - not queued: back to scheduled, the next run queues it
            job.update(actions=[PrivacyJob.state.set("scheduled"), PrivacyJob.pending_shard.set(PENDING)])
            raise
        sent += 1
    return sent
