"""Publishing tables and their access patterns.

``posts`` — pk ``org_id``, sk ``post_id`` (ULID: newest first when queried backwards).
  - get / update / delete a post: GetItem, UpdateItem conditional on ``version`` (optimistic)
  - content library: Query pk=org_id backwards with filters (status, platform, date range),
    cursor = the last returned key
  - post status after a target transition: UpdateItem conditional on ``status_rank`` not going back

  - calendar and slot conflicts: Query GSI ``by_schedule`` pk ``org_id``, sk ``scheduled_at`` between two
    instants (sparse: drafts have no ``scheduled_at``)

``post_targets`` — pk ``post_id``, sk ``target_id``: one post on one connection, the state machine
  draft → scheduled → queued → publishing → published | failed (cancel: scheduled|queued → draft).
  - targets of a post: Query pk=post_id (consistent)
  - every transition: UpdateItem conditional on ``state`` (and ``dispatch_id`` / ``attempt_id``)
  - due targets: Query GSI ``due`` pk ``due_shard`` (``due#0``..``due#N-1``), sk ``due_sk`` <= now + lookahead
    (``<iso instant>#<target_id>``); silent targets: sk between ``w#`` and ``w#<now>`` (watchdog instants).
    The index is sparse: only targets someone must look at again have ``due_shard`` (scheduled: at their
    instant; queued/publishing: a watchdog instant in its own key range), so the dispatcher never scans, a
    missed tick is caught up by the next query, and targets in progress never enter the dispatch window.

``publishing_media`` — pk ``org_id``, sk ``media_id``: uploaded media (presigned upload records).

``publishing_idempotency`` — pk ``<org_id>#<operation>#<Idempotency-Key>``: the request hash and the
  answer; PutItem conditional on absence (or expiry) claims a key for one ``attempt``; TTL ``expires_at`` (the
  invocation's remaining time while in progress, ``idempotency_ttl_s`` once done).

  Both breakers of a call are read in one BatchGetItem; every change is a conditional UpdateItem (one
  half-open probe at a time).

``publishing_pacing`` — pk ``<platform>#<account|app>#<id>``: GCRA theoretical arrival time, the line of
  waiting posts and the platform's own ``blocked_until``; read together (BatchGetItem), changed by optimistic
  conditional writes on ``seq``.

``publishing_queues`` — pk ``org_id``, sk ``queue_id``: a posting queue (connections, weekly slots, paused).
  - list an org's queues: Query pk=org_id; get / update: GetItem, UpdateItem conditional on ``version``

``publishing_queue_entries`` — pk ``queue_id``, sk ``at`` (ISO instant, UTC): the post holding that slot.
  - a queue's posts in slot order: Query pk=queue_id (consistent)
  - claim a slot: PutItem conditional on absence (or on the stale post that held it): never two posts in one
    slot; reorder, removal and resume rewrite entries in one transaction conditional on each entry's post
  - TTL ``expires_at``: an entry is kept a while after its slot, then deleted

``publish_attempts`` — pk ``target_id``, sk ``<iso>#<attempt_id>``: one audit record per platform call.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from lily.core.db import LilyModel, TableMeta

TARGET_STATES = ("draft", "scheduled", "queued", "publishing", "published", "failed")
POST_STATUSES = ("draft", "scheduled", "publishing", "published", "partial", "failed")


class BySchedule(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_schedule"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)
    scheduled_at = UTCDateTimeAttribute(range_key=True)


class Post(LilyModel):
    class Meta(TableMeta):
        short_name = "posts"

    org_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    text = UnicodeAttribute(default="")
    media_ids = JSONAttribute(default=list)
    first_comment = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="draft")
    status_rank = NumberAttribute(default=0)
    platforms = UnicodeSetAttribute(null=True)
    scheduled_at = UTCDateTimeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    quota_day = UnicodeAttribute(null=True)  # the UTC day whose posts_per_day the schedule consumed
    queue_slot = UnicodeAttribute(null=True)  # "<queue_id>#<iso instant>": the queue entry this post holds
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
    by_schedule = BySchedule()


class DueIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "due"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    due_sk = UnicodeAttribute(range_key=True)


class Target(LilyModel):
    class Meta(TableMeta):
        short_name = "post_targets"

    post_id = UnicodeAttribute(hash_key=True)
    target_id = UnicodeAttribute(range_key=True)
    org_id = UnicodeAttribute()
    connection_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    text = UnicodeAttribute(null=True)  # per-target override
    media_ids = JSONAttribute(null=True)  # per-target override
    first_comment = UnicodeAttribute(null=True)  # per-target override
    state = UnicodeAttribute(default="draft")
    scheduled_at = UTCDateTimeAttribute(null=True)
    dispatch_id = UnicodeAttribute(null=True)  # changes on every schedule: stale messages are ignored
    due_shard = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    next_attempt_at = UTCDateTimeAttribute(null=True)
    attempt_id = UnicodeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    reconcile = BooleanAttribute(default=False)  # a previous attempt may have posted: look before posting
    first_attempt_at = UTCDateTimeAttribute(null=True)
    last_error = JSONAttribute(null=True)  # {code, kind, message, platform_status, platform_code, at}
    exhausted = BooleanAttribute(default=False)  # failed after the last retry (its message is parked in the DLQ)
    platform_post_id = UnicodeAttribute(null=True)
    platform_url = UnicodeAttribute(null=True)
    queued_at = UTCDateTimeAttribute(null=True)
    watchdogs = NumberAttribute(default=0)  # watchdog re-sends of this dispatch (each doubles the next wait)
    published_at = UTCDateTimeAttribute(null=True)
    failed_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    due = DueIndex()


class Media(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_media"

    org_id = UnicodeAttribute(hash_key=True)
    media_id = UnicodeAttribute(range_key=True)
    key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    filename = UnicodeAttribute(null=True)
    alt_text = UnicodeAttribute(null=True)  # generated images carry theirs (lily.images); passed to platforms
    platforms = UnicodeSetAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    # An upload's reservation: set while its presigned POST may still be used (and a minute more). Past it, the
    # org's next storage check looks at the object: uploaded → kept (the field is removed); never uploaded → the
    # record is deleted and its declared size given back (lily.publishing.media.reclaim_expired_uploads).
    pending_until = UTCDateTimeAttribute(null=True)


class IdempotencyRecord(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_idempotency"

    key = UnicodeAttribute(hash_key=True)
    request_hash = UnicodeAttribute()
    status = UnicodeAttribute(default="in_progress")  # in_progress | done
    attempt = UnicodeAttribute(null=True)  # the claim's id: only its own attempt finishes or clears it
    response_status = NumberAttribute(null=True)
    response_body = JSONAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class PacingState(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_pacing"

    key = UnicodeAttribute(hash_key=True)
    tat = NumberAttribute(default=0)  # GCRA theoretical arrival time, epoch seconds
    line = NumberAttribute(default=0)  # the next free place in the account's line of waiting posts, epoch seconds
    blocked_until = NumberAttribute(default=0)  # the platform said: not before this
    seq = NumberAttribute(default=0)  # optimistic concurrency


class Attempt(LilyModel):
    class Meta(TableMeta):
        short_name = "publish_attempts"

    target_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    post_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    connection_id = UnicodeAttribute()
    attempt_id = UnicodeAttribute()
    number = NumberAttribute()
    outcome = UnicodeAttribute()  # published | reconciled | retry | failed
    error = JSONAttribute(null=True)
    duration_ms = NumberAttribute(default=0)
    platform_post_id = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class Queue(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_queues"

    org_id = UnicodeAttribute(hash_key=True)
    queue_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    connection_ids = JSONAttribute(default=list)
    slots = JSONAttribute(default=list)  # [{"weekday": "mon", "time": "09:00"}], in the org's time zone
    paused = BooleanAttribute(default=False)
    move_up_on_remove = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)


class QueueEntry(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_queue_entries"

    queue_id = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)  # clock.iso of the slot instant
    org_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    expires_at = TTLAttribute()
