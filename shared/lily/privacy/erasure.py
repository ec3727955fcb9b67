"""The erasure job: an organization, or a person, removed from every table, bucket prefix and vector index.

Steps, each recorded in the job (``steps_done``) as it finishes, so a worker that dies half-way resumes at the first
step not done when SQS delivers the message again; every step is idempotent (revoking a grant twice, deleting what
is gone, cancelling a cancelled subscription change nothing), so a step interrupted half-way is simply run again.

An organization: revoke every platform grant at its platform (the sandboxes in local mode), cancel the Stripe
subscription, forget the research vectors, delete the objects under ``orgs/<id>/`` and ``exports/org/<id>/``, then
each table's records as its data rule finds them (``org`` locate, ``Erase.DELETE``); last, an audit record without
personal data, and the job itself.

A person: refused (``refused``) if they own an organization that has other members (ownership is transferred or
the organization deleted first); every organization they own alone is erased as above; their sessions end; in
each table their records are deleted or, in an organization that stays, anonymised (``on_user_erased``); a seat is
given back in each organization they were a member of; the objects under ``exports/user/<id>/`` go.

Tables whose rule is ``Erase.EXPIRES`` (rate-limit counters, revocation marks) are left to their TTL: an erased
person's revocation mark must outlive the tokens it kills.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from lily.core import clock
from lily.core.aws import client
from lily.core.db import LilyModel, won
from lily.core.observability import count, logger, observe
from lily.core.resources import bucket_name
from lily.core.retention import Anonymise, Erase
from lily.privacy import records
from lily.privacy.export import ARCHIVE_PREFIX
from lily.privacy.jobs import refuse_owner_with_members
from lily.privacy.models import PrivacyJob
from lily.privacy.ports import PrivacyPorts

OBJECT_PREFIXES = {"org": ("orgs/{id}/", f"{ARCHIVE_PREFIX}/org/{{id}}/"), "user": (f"{ARCHIVE_PREFIX}/user/{{id}}/",)}


class Stop(Exception):
    """Raised by a step to end the job without erasing (a person who owns an organization with others)."""


def _tables(ports: PrivacyPorts) -> list[type[LilyModel]]:
    # the privacy job table last (the running job is deleted at the very end)
    return sorted((m for m in ports.models if m is not PrivacyJob), key=lambda m: m.Meta.short_name)


def delete_objects(kind: str, subject_id: str) -> int:
    s3 = client("s3")
    bucket = bucket_name("media")
    removed = 0
    for template in OBJECT_PREFIXES[kind]:
        prefix = template.format(id=subject_id)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                removed += len(keys)
    return removed


def erase_org_records(model: type[LilyModel], org_id: str) -> int:
    rule = records.rule(model)
    if rule.org is None or rule.erase != Erase.DELETE:
        return 0
    return records.delete(model, list(records.find(model, rule.org, org_id)))


def erase_user_records(model: type[LilyModel], user_id: str, email: str | None = None) -> int:
    rule = records.rule(model)
    if rule.user is None or rule.on_user_erased is None or rule.on_user_erased == Erase.EXPIRES:
        return 0
    found = list(records.find(model, rule.user, user_id))
    for also in rule.user_also:
        value = email if also.by == "email" else user_id
        if value:
            found += list(records.find(model, also, value))  # one found twice is anonymised twice: harmless
    if isinstance(rule.on_user_erased, Anonymise):
        person = {user_id, *([email] if email else [])}
        return sum(records.anonymise(model, item, rule.on_user_erased, person) for item in found)
    return records.delete(model, found)


def erase_jobs(subject: str, keep: str) -> int:
    """The subject's other privacy jobs (exports, cancelled erasures); the running one goes last, in :func:`run`."""
    return records.delete(PrivacyJob, [j for j in PrivacyJob.query(subject) if j.job_id != keep])


def org_steps(ports: PrivacyPorts, org_id: str, job_id: str,
              prefix: str = "") -> list[tuple[str, Callable[[], object]]]:
    steps: list[tuple[str, Callable[[], object]]] = [
        (f"{prefix}revoke_tokens", lambda: ports.tokens.revoke_org(org_id)),
        (f"{prefix}cancel_subscription", lambda: ports.subscriptions.cancel_org(org_id)),
        (f"{prefix}forget_vectors", lambda: ports.vectors.forget_org(org_id)),
        (f"{prefix}objects", lambda: delete_objects("org", org_id)),
    ]
    for model in _tables(ports):
        steps.append((f"{prefix}table:{model.Meta.short_name}",
                      lambda model=model: erase_org_records(model, org_id)))
    steps.append((f"{prefix}jobs", lambda: erase_jobs(f"org#{org_id}", keep=job_id)))
    return steps


def user_steps(ports: PrivacyPorts, user_id: str, job_id: str) -> list[tuple[str, Callable[[], object]]]:
    def check() -> None:
        try:
            refuse_owner_with_members(ports.subjects, user_id)
        except Exception as exc:  # noqa: BLE001 - the refusal ends the job with its reason
            raise Stop(getattr(exc, "message", str(exc))) from None

    owned = [o.org_id for o in ports.subjects.owned_orgs(user_id)]
    email = ports.subjects.email_of(user_id)  # read before the account goes (a resumed run may find none)
    stays = [org for org in ports.subjects.member_orgs(user_id) if org not in owned]
    steps: list[tuple[str, Callable[[], object]]] = [("check_ownership", check)]
    for org_id in owned:
        steps += org_steps(ports, org_id, job_id, prefix=f"org:{org_id}:")
    steps.append(("end_sessions", lambda: ports.subjects.end_sessions(user_id)))
    steps.append(("seats", lambda: [ports.seats.release(org) for org in stays]))
    steps.append(("objects", lambda: delete_objects("user", user_id)))
    for model in _tables(ports):
        steps.append((f"table:{model.Meta.short_name}",
                      lambda model=model: erase_user_records(model, user_id, email)))
    steps.append(("jobs", lambda: erase_jobs(f"user#{user_id}", keep=job_id)))
    return steps


def run(ports: PrivacyPorts, job: PrivacyJob) -> str:
    """Run (or resume) the erasure ``job``; returns its final state."""
    if job.state in ("done", "cancelled", "refused"):
        return job.state
    started = clock.now()
    if not won(lambda: job.update(actions=[PrivacyJob.state.set("running"), PrivacyJob.pending_shard.remove(),
                                           PrivacyJob.updated_at.set(started)],
                                  condition=PrivacyJob.state.is_in("queued", "running", "scheduled"))):
        return "skipped"
    kind, subject_id = job.subject.split("#", 1)
    steps = (org_steps(ports, subject_id, job.job_id) if kind == "org"
             else user_steps(ports, subject_id, job.job_id))
    done = set(job.steps_done or [])
    for i, (name, step) in enumerate(steps, start=1):
        if name in done:
            continue
        try:
            step()
        except Stop as stop:
            job.update(actions=[PrivacyJob.state.set("refused"), PrivacyJob.error.set(str(stop)),
                                PrivacyJob.finished_at.set(clock.now())])
            logger.warning("erasure refused", extra={"job_id": job.job_id, "reason": str(stop)})
            return "refused"
        job.update(actions=[PrivacyJob.steps_done.set((PrivacyJob.steps_done | []).append([name])),
                            PrivacyJob.progress.set({"step": name, "tables_done": i, "tables_total": len(steps),
                                                     "records": 0}),
                            PrivacyJob.updated_at.set(clock.now())])
    _audit(ports, kind, subject_id, len(steps))
    job.delete()  # the last trace of the subject (its id is in the job's key)
    seconds = (clock.now() - started).total_seconds()
    observe("privacy_erasure_seconds", seconds, subject=kind)
    count("privacy_erasures_total", subject=kind)
    logger.info("erasure done", extra={"job_id": job.job_id, "subject_kind": kind, "steps": len(steps)})
    return "done"


def _audit(ports: PrivacyPorts, kind: str, subject_id: str, steps: int) -> None:
    """The record that the erasure happened, without personal data: the subject only as a one-way hash (so a later
    request about the same id can be answered "erased", and nothing can be read back from it)."""
    digest = hashlib.sha256(f"lily-erasure:{subject_id}".encode()).hexdigest()
    ports.subjects.record_erasure(kind, {"subject_sha256": digest, "steps": steps, "at": clock.iso(clock.now())})
