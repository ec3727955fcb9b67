"""Privacy tables.

privacy_jobs (pk subject: "user#<user_id>" | "org#<org_id>", sk job_id; GSI pending: pending_shard -> run_after)
- request an export / schedule an erasure: PutItem (an erasure: conditional on no other live erasure of the subject)
- the subject's job, its progress: GetItem (subject, job_id), consistent
- progress and each finished step of a job: UpdateItem (the worker; an erasure's steps are recorded one by one so a
  worker that dies half-way resumes where it stopped)
- cancel an erasure in its grace period: UpdateItem SET state = cancelled IF state = scheduled
- due erasures: Query GSI pending pending_shard = "erasure" AND run_after <= now (sparse: only scheduled erasures
  carry pending_shard; it is removed when the job starts or is cancelled)
- TTL expires_at: an export job (and its archive's link) a week after it is made; a finished erasure's job goes at
  once (the audit log keeps its record without personal data)
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, ListAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import DataRule, Erase, NotExported, Partition


class Pending(GlobalSecondaryIndex):
    class Meta:
        index_name = "pending"
        projection = AllProjection()

    pending_shard = UnicodeAttribute(hash_key=True)
    run_after = UTCDateTimeAttribute(range_key=True)


class PrivacyJob(LilyModel):
    class Meta(TableMeta):
        short_name = "privacy_jobs"
        data = DataRule(
            retention="exports: 7 days (TTL expires_at); erasures: until done (the audit log keeps the record)",
            org=Partition("org#{id}"), user=Partition("user#{id}"),
            export=NotExported("the export and erasure requests themselves"), erase=Erase.DELETE,
            on_user_erased=Erase.DELETE, notes="the running erasure's own job is deleted last")

    subject = UnicodeAttribute(hash_key=True)
    job_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # export | erasure
    state = UnicodeAttribute()  # export: queued, running, done, failed; erasure: scheduled, cancelled, queued,
    # running, refused (then the job is deleted when done)
    requested_by = UnicodeAttribute(null=True)
    notify_email = UnicodeAttribute(null=True)
    progress = JSONAttribute(default=dict)  # {tables_done, tables_total, records, step}
    steps_done = ListAttribute(of=UnicodeAttribute, default=list)  # an erasure's finished steps, in order
    archive_key = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    pending_shard = UnicodeAttribute(null=True)
    run_after = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    pending = Pending()
