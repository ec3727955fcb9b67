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

``publishing_media_uses`` — pk ``media_key`` (``<org_id>#<media_id>``), sk ``post_id``: the posts that name a
  medium (the post's own media or a target's), written when a post is created or edited, removed when it is deleted
  or stops naming it.
  - may this medium be deleted: Query pk, then the named posts' targets (a target scheduled, queued or publishing
    still needs it: 409 with the post ids)

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

  - the first comment: UpdateItem conditional on ``fc_state`` and ``fc_attempt_id`` (lily.core.once)

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
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import Anonymise, DataRule, Erase, Export, NotExported, Partition, Scan

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
        data = DataRule(
            retention="while the organization exists", org=Partition(), user=Scan("created_by"), export=Export(),
            erase=Erase.DELETE,
            on_user_erased=Anonymise(("created_by",)))

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
    # Approval (lily.approvals): None, no approval needed | required | pending | approved | rejected |
    # changes_requested. The publisher publishes a post only when this is None or "approved".
    approval = UnicodeAttribute(null=True)
    approval_at = UTCDateTimeAttribute(null=True)  # the instant the author asked for, while approval is pending
    approval_timezone = UnicodeAttribute(null=True)
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
        data = DataRule(retention="while the organization exists", org=Scan("org_id"), export=Export(),
                        erase=Erase.DELETE)

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
    # the first comment, posted after the post with its own exactly-once state (lily.publishing.first_comments):
    # queued | sending | sent | failed; the post stays published whatever happens to it
    fc_state = UnicodeAttribute(null=True)
    fc_attempt_id = UnicodeAttribute(null=True)
    fc_lease_until = UTCDateTimeAttribute(null=True)
    fc_reconcile = BooleanAttribute(default=False)
    fc_attempts = NumberAttribute(default=0)
    fc_next_at = UTCDateTimeAttribute(null=True)
    fc_error = JSONAttribute(null=True)  # {code, kind, message, at}
    fc_platform_id = UnicodeAttribute(null=True)
    fc_url = UnicodeAttribute(null=True)
    fc_posted_at = UTCDateTimeAttribute(null=True)


class Media(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_media"
        data = DataRule(
            retention="while the organization exists", org=Partition(), user=Scan("created_by"), export=Export(),
            erase=Erase.DELETE,
            on_user_erased=Anonymise(("created_by",)), objects="key",
            notes="the objects themselves live under the organization's prefix of the media bucket, erased with it")

    org_id = UnicodeAttribute(hash_key=True)
    media_id = UnicodeAttribute(range_key=True)
    key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    filename = UnicodeAttribute(null=True)
    alt_text = UnicodeAttribute(null=True)  # generated images carry theirs (lily.images); passed to platforms
    # set only when lily.images stores an image it generated (media.store(..., generated=True)); never by an upload
    generated = BooleanAttribute(null=True)
    platforms = UnicodeSetAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    # An upload's reservation: set while its presigned POST may still be used (and a minute more). Past it, the
    # org's next storage check looks at the object: uploaded → kept (the field is removed); never uploaded → the
    # record is deleted and its declared size given back (lily.publishing.media.reclaim_expired_uploads).
    pending_until = UTCDateTimeAttribute(null=True)


class MediaUse(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_media_uses"
        data = DataRule(
            retention="while the organization exists", org=Scan("media_key", prefix="{id}#"), export=Export(),
            erase=Erase.DELETE)

    media_key = UnicodeAttribute(hash_key=True)  # "<org_id>#<media_id>"
    post_id = UnicodeAttribute(range_key=True)
    created_at = UTCDateTimeAttribute()


class IdempotencyRecord(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_idempotency"
        data = DataRule(
            retention="LILY_IDEMPOTENCY_TTL_S (TTL expires_at)", org=Scan("key", prefix="{id}#"),
            export=NotExported("request fingerprints and replayed answers (the posts themselves are exported)"),
            erase=Erase.DELETE)

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
        data = DataRule(
            retention="overwritten as posts go out", export=NotExported("rate pacing per platform account"),
            erase=Erase.KEEP, personal_data=False,
            notes="keyed by platform and account; the waiting line holds target ids only")

    key = UnicodeAttribute(hash_key=True)
    tat = NumberAttribute(default=0)  # GCRA theoretical arrival time, epoch seconds
    line = NumberAttribute(default=0)  # the next free place in the account's line of waiting posts, epoch seconds
    blocked_until = NumberAttribute(default=0)  # the platform said: not before this
    seq = NumberAttribute(default=0)  # optimistic concurrency


class Attempt(LilyModel):
    class Meta(TableMeta):
        short_name = "publish_attempts"
        data = DataRule(
            retention="LILY_PUBLISH_ATTEMPT_TTL (TTL expires_at)", org=Scan("org_id"), export=Export(),
            erase=Erase.DELETE)

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
        data = DataRule(retention="while the organization exists", org=Partition(), export=Export(), erase=Erase.DELETE)

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
        data = DataRule(
            retention="a while after the slot (TTL expires_at)", org=Scan("org_id"), export=Export(),
            erase=Erase.DELETE)

    queue_id = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)  # clock.iso of the slot instant
    org_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    expires_at = TTLAttribute()


# ---------------------------------------------------------------- automation (issue 24): recurring, evergreen,
# feeds, bulk import. Access patterns:
#
# ``publishing_autopost_claims`` — pk ``key``: one claim per thing that must become at most one post
#   (``<org>#rec#<rule>#<instant>``, ``<org>#evg#<pool>#<instant>``, ``<org>#feed#<feed>#guid#<sha>`` and
#   ``...#link#<sha>``, ``<org>#imp#<import>#<row>``). PutItem (or a transaction of two) conditional on absence
#   claims it; GetItem reads it back on a retry (the post id it names is created at most once).
#
# ``publishing_recurring`` / ``publishing_evergreen`` / ``publishing_feeds`` — pk ``org_id``, sk the id.
#   - list, get, update: Query pk=org_id, GetItem, UpdateItem conditional on ``version``
#   - due work for the automation schedule: Query GSI ``autopost_due`` pk ``due_shard`` (``due`` while active,
#     absent when paused or ended: the index is sparse), sk ``due_sk`` <= the horizon (``<iso>#<id>``)
#
# ``publishing_imports`` — pk ``org_id``, sk ``import_id`` (``imp_`` + the file's content hash: a re-upload of the
#   same file finds the first import by GetItem); progress counters by UpdateItem ADD.
# ``publishing_import_rows`` — pk ``import_id``, sk ``row`` (zero-padded): the validated row, its outcome.
#   - rows of a chunk / of the report: Query pk=import_id between two rows


class AutopostDue(GlobalSecondaryIndex):
    class Meta:
        index_name = "autopost_due"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    due_sk = UnicodeAttribute(range_key=True)


class AutopostClaim(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_autopost_claims"
        data = DataRule(
            retention="while the organization exists", org=Scan("org_id"), export=Export(), erase=Erase.DELETE)

    key = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    source = UnicodeAttribute()  # recurring | evergreen | feed | import
    state = UnicodeAttribute(default="claimed")  # claimed | done
    outcome = UnicodeAttribute(null=True)  # draft | scheduled | queued | failed
    error = JSONAttribute(null=True)
    created_at = UTCDateTimeAttribute()


class RecurringRule(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_recurring"
        data = DataRule(retention="while the organization exists", org=Partition(), export=Export(), erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    rule_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    text = UnicodeAttribute(default="")
    media_ids = JSONAttribute(default=list)
    first_comment = UnicodeAttribute(null=True)
    connection_ids = JSONAttribute(default=list)
    cron = UnicodeAttribute(null=True)  # five-field cron in the org's zone
    rrule = UnicodeAttribute(null=True)  # RFC 5545 RRULE in the org's zone
    starts_at = UTCDateTimeAttribute()
    until = UTCDateTimeAttribute(null=True)
    max_count = NumberAttribute(null=True)
    created_count = NumberAttribute(default=0)
    status = UnicodeAttribute(default="active")  # active | paused | ended
    next_at = UTCDateTimeAttribute(null=True)  # the next occurrence not yet created
    last_error = JSONAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
    due = AutopostDue()


class EvergreenPool(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_evergreen"
        data = DataRule(retention="while the organization exists", org=Partition(), export=Export(), erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    pool_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    connection_ids = JSONAttribute(default=list)
    items = JSONAttribute(default=list)  # [{item_id, text, media_ids, first_comment, last_at, times}]
    interval_hours = NumberAttribute()
    min_gap_days = NumberAttribute()
    on_duplicate = UnicodeAttribute(default="skip")  # skip | vary (platforms refusing identical text)
    max_cycles = NumberAttribute(null=True)
    sent = JSONAttribute(default=dict)  # {connection_id: [sha256 of text]} on platforms refusing identical text
    status = UnicodeAttribute(default="active")  # active | paused | exhausted
    next_at = UTCDateTimeAttribute(null=True)
    last_error = JSONAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
    due = AutopostDue()


class AutoFeed(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_feeds"
        data = DataRule(retention="while the organization exists", org=Partition(), export=Export(), erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    feed_id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    connection_ids = JSONAttribute(default=list)
    template = UnicodeAttribute()
    include = JSONAttribute(default=list)
    exclude = JSONAttribute(default=list)
    mode = UnicodeAttribute(default="draft")  # draft | queue | approval
    queue_id = UnicodeAttribute(null=True)
    approval_lead_minutes = NumberAttribute(null=True)  # mode approval: the instant asked for, after the poll
    cadence_minutes = NumberAttribute()
    daily_cap = NumberAttribute()
    day = UnicodeAttribute(null=True)  # the org-local day posted_today counts
    posted_today = NumberAttribute(default=0)
    baseline_done = BooleanAttribute(default=False)  # the first poll marks what the feed already holds as seen
    backfill = NumberAttribute(default=0)
    status = UnicodeAttribute(default="active")  # active | paused
    next_at = UTCDateTimeAttribute(null=True)
    last_polled_at = UTCDateTimeAttribute(null=True)
    last_error = JSONAttribute(null=True)
    created_total = NumberAttribute(default=0)
    due_shard = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
    due = AutopostDue()


class BulkImport(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_imports"
        data = DataRule(
            retention="while the organization exists", org=Partition(), user=Scan("created_by"), export=Export(),
            erase=Erase.DELETE, on_user_erased=Anonymise(("created_by",)))

    org_id = UnicodeAttribute(hash_key=True)
    import_id = UnicodeAttribute(range_key=True)
    filename = UnicodeAttribute(null=True)
    format = UnicodeAttribute()
    status = UnicodeAttribute(default="processing")  # processing | done | rejected
    total = NumberAttribute(default=0)
    valid = NumberAttribute(default=0)
    invalid = NumberAttribute(default=0)
    processed = NumberAttribute(default=0)
    created = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    errors = JSONAttribute(default=list)  # [{row, problems: [{field, code, message}]}], validation
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class ImportRow(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_import_rows"
        data = DataRule(
            retention="while the organization exists", org=Scan("org_id"), export=Export(), erase=Erase.DELETE)

    import_id = UnicodeAttribute(hash_key=True)
    row = UnicodeAttribute(range_key=True)  # zero-padded row number (1-based)
    org_id = UnicodeAttribute()
    data = JSONAttribute()  # the validated row
    state = UnicodeAttribute(default="pending")  # pending | created | failed
    post_id = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    error = JSONAttribute(null=True)


# ---------------------------------------------------------------- short links (issue 24). Access patterns:
#
# ``publishing_links`` — pk ``code``: a short link Lily made (the org, the target with its UTM parameters, the
#   redirect status, the posts whose text carries it). The public redirect reads it by GetItem (only codes in this
#   table redirect: no open redirect) and counts the click by UpdateItem ADD; analytics reads the org's links by
#   BatchGetItem of the codes its click days name.
# ``publishing_link_settings`` — pk ``org_id``: the org's UTM defaults per platform and its redirect status.
# ``publishing_link_clicks`` — pk ``code``, sk ``day`` (UTC): clicks of a day and the keyed hashes of the visitors
#   (never the address); pk ``#salt`` holds each day's random key, deleted by TTL two days later so a hash can no
#   longer be tied to an address. TTL ``expires_at``. GSI ``by_org`` (pk ``org_id``, sk ``day``; clicks only):
#   the org's click days of a period in one Query (analytics' clicks per link, post and day).


class ShortLink(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_links"
        data = DataRule(
            retention="while the organization exists", org=Scan("org_id"), user=Scan("created_by"), export=Export(),
            erase=Erase.DELETE, on_user_erased=Anonymise(("created_by",)))

    code = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
    url = UnicodeAttribute()  # the target, UTM parameters added
    original_url = UnicodeAttribute()
    platform = UnicodeAttribute(null=True)
    campaign = UnicodeAttribute(null=True)
    redirect_status = NumberAttribute(default=302)
    clicks = NumberAttribute(default=0)
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    post_ids = UnicodeSetAttribute(null=True)  # the org's posts whose text carries it (lily.publishing.link_posts)


class LinkSettings(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_link_settings"
        data = DataRule(retention="while the organization exists", org=Partition(), export=Export(), erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    utm = JSONAttribute(default=dict)  # {"default": {utm_source, utm_medium, utm_campaign}, "<platform>": {...}}
    redirect_status = NumberAttribute(default=302)
    updated_at = UTCDateTimeAttribute()


class ClicksByOrg(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_org"
        projection = IncludeProjection(["clicks"])

    org_id = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)


class LinkClickDay(LilyModel):
    class Meta(TableMeta):
        short_name = "publishing_link_clicks"
        data = DataRule(
            retention="per day, TTL expires_at",
            export=NotExported("daily click counts of a short link (its total is exported with the link); "
                               "visitors as salted hashes"),
            erase=Erase.EXPIRES, notes="keyed by the link's code: an erased organization's days go with their TTL")

    code = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)
    org_id = UnicodeAttribute(null=True)  # the link's org (not on the ``#salt`` items): the ``by_org`` index
    clicks = NumberAttribute(default=0)
    visitors = UnicodeSetAttribute(null=True)  # HMAC-SHA256(day key, address), 16 hex characters
    salt = UnicodeAttribute(null=True)  # on the ``#salt`` items only
    expires_at = TTLAttribute()
    by_org = ClicksByOrg()
