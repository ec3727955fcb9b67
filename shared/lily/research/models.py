"""Research tables and their access patterns.

``research_configs`` — pk ``org_id``, sk ``config_id``: what an org researches and when.
  - CRUD: GetItem / Query pk=org_id / UpdateItem and DeleteItem conditional on ``version``
  - due configs (the schedule): Query GSI ``due`` pk ``due_shard`` = ``"due"``, sk ``next_run`` <= now (ISO).
    Sparse: only enabled configs carry ``due_shard``. Claiming a run moves ``next_run`` to the next
    occurrence by a write conditional on the old value, so two schedule runs never enqueue one config twice.

``research_jobs`` — pk ``org_id``, sk ``job_id`` (ULID: newest first backwards): one run, its status
  (queued → running → done | failed; refused when the plan lacks research), stage, progress, counts and
  run log. Transitions are conditional on ``status``. TTL ``expires_at`` (180 days).

``research_items`` — pk ``org_id``, sk ``item_id`` = ``h_<content hash>``: the de-duplicated source items
  (feed entries, own posts). PutItem conditional on absence tells a new item from one seen before (only new
  items are embedded); their vectors are in the vector index under the same item id. TTL (365 days).

``research_reports`` — pk ``org_id``, sk ``report_id`` (ULID): immutable synthesised reports; the latest is
  Query pk=org_id backwards, limit 1. TTL (365 days).

``research_insights`` — pk ``org_id``, sk ``insight_id``: each insight of a report, read by id when content
  generation grounds a draft on it (BatchGetItem). TTL (365 days).
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import Anonymise, DataRule, Erase, Export, Partition, Scan


class DueConfigs(GlobalSecondaryIndex):
    class Meta:
        index_name = "due"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    next_run = UnicodeAttribute(range_key=True)


class ResearchConfig(LilyModel):
    class Meta(TableMeta):
        short_name = "research_configs"
        data = DataRule(
            retention="while the organization exists", org=Partition(), user=Scan("created_by"), export=Export(),
            erase=Erase.DELETE,
            on_user_erased=Anonymise(("created_by",)))

    org_id = UnicodeAttribute(hash_key=True)
    config_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    industry = UnicodeAttribute()
    topics = ListAttribute(of=UnicodeAttribute, default=list)
    competitors = ListAttribute(of=UnicodeAttribute, default=list)
    feeds = ListAttribute(of=UnicodeAttribute, default=list)
    day = UnicodeAttribute(default="sunday")
    hour = NumberAttribute(default=2)
    minute = NumberAttribute(default=0)
    enabled = BooleanAttribute(default=True)
    due_shard = UnicodeAttribute(null=True)  # "due" while enabled (sparse index)
    next_run = UnicodeAttribute(null=True)  # ISO instant of the next scheduled run
    last_job_id = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
    due = DueConfigs()


class ResearchJob(LilyModel):
    class Meta(TableMeta):
        short_name = "research_jobs"
        data = DataRule(
            retention="LILY_RESEARCH_* retention (TTL expires_at)", org=Partition(), user=Scan("requested_by"),
            export=Export(), erase=Erase.DELETE, on_user_erased=Anonymise(("requested_by",)))

    org_id = UnicodeAttribute(hash_key=True)
    job_id = UnicodeAttribute(range_key=True)
    config_id = UnicodeAttribute()
    trigger = UnicodeAttribute()  # manual | schedule
    requested_by = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="queued")
    stage = UnicodeAttribute(default="queued")
    progress = NumberAttribute(default=0)  # percent
    counts = JSONAttribute(default=dict)  # run log: fetched, new, duplicates, embedded, retrieved, themes, insights
    tokens = NumberAttribute(default=0)
    confidence = NumberAttribute(null=True)
    duration_ms = NumberAttribute(null=True)
    report_id = UnicodeAttribute(null=True)
    error = JSONAttribute(null=True)  # {code, message, details}
    created_at = UTCDateTimeAttribute()
    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class ResearchItem(LilyModel):
    class Meta(TableMeta):
        short_name = "research_items"
        data = DataRule(
            retention="LILY_RESEARCH_* retention (TTL expires_at)", org=Partition(), export=Export(),
            erase=Erase.DELETE, notes="their vectors are forgotten from the research index with the organization")

    org_id = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)
    source = UnicodeAttribute()  # feed | own_post
    source_ref = UnicodeAttribute()  # the feed URL or the post id
    url = UnicodeAttribute(null=True)
    title = UnicodeAttribute(default="")
    text = UnicodeAttribute(default="")
    published_at = UTCDateTimeAttribute(null=True)
    engagement = JSONAttribute(null=True)
    industry = UnicodeAttribute(default="")
    vector = UnicodeAttribute(null=True)  # base64 of the float32 unit embedding (model and dimension of the index)
    first_seen_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)


class ResearchReport(LilyModel):
    class Meta(TableMeta):
        short_name = "research_reports"
        data = DataRule(
            retention="LILY_RESEARCH_* retention (TTL expires_at)", org=Partition(), export=Export(),
            erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    report_id = UnicodeAttribute(range_key=True)
    job_id = UnicodeAttribute()
    config_id = UnicodeAttribute()
    industry = UnicodeAttribute()
    summary = UnicodeAttribute(default="")
    confidence = NumberAttribute(default=0)
    insights = JSONAttribute(default=list)
    suggested_topics = ListAttribute(of=UnicodeAttribute, default=list)
    counts = JSONAttribute(default=dict)
    model = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)


class ResearchInsight(LilyModel):
    class Meta(TableMeta):
        short_name = "research_insights"
        data = DataRule(
            retention="LILY_RESEARCH_* retention (TTL expires_at)", org=Partition(), export=Export(),
            erase=Erase.DELETE, notes="their vectors are forgotten from the research index with the organization")

    org_id = UnicodeAttribute(hash_key=True)
    insight_id = UnicodeAttribute(range_key=True)
    report_id = UnicodeAttribute()
    title = UnicodeAttribute()
    summary = UnicodeAttribute()
    evidence = JSONAttribute(default=list)  # [{item_id, url, title, score}]
    suggested_topics = ListAttribute(of=UnicodeAttribute, default=list)
    confidence = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)
