"""Brand profiles and generated drafts.

Access patterns:
- ``BrandProfile``: GetItem by org; every write is conditional on the version read (optimistic lock).
- ``ContentJob``: a large generation answered 202 (:mod:`lily.content.jobs`): GetItem by (org, job_id); the worker
  moves it queued → running → done | failed by conditional writes; it expires 7 days after it was created.
- ``ContentDraft``: GetItem by (org, draft_id); a generation's drafts: Query org, ``draft_id``
  begins_with the generation id (draft ids are ``<generation_id>.<platform>.<alternative>``); an org's
  recent drafts: Query org, newest first (ids are ULID-based, so they sort by time).
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from lily.core.db import LilyModel, TableMeta


class BrandProfile(LilyModel):
    class Meta(TableMeta):
        short_name = "content_brand_profiles"

    org_id = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(default=1)
    data = JSONAttribute()  # lily.content.schemas.BrandIn, validated on every write
    updated_by = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()


class ContentJob(LilyModel):
    class Meta(TableMeta):
        short_name = "content_jobs"

    org_id = UnicodeAttribute(hash_key=True)
    job_id = UnicodeAttribute(range_key=True)  # cjb_<ulid>
    status = UnicodeAttribute(default="queued")  # queued | running | done | failed
    request = JSONAttribute()  # lily.content.schemas.GenerateIn
    estimated_s = NumberAttribute()  # what the rule estimated (why it is a job)
    result = JSONAttribute(null=True)  # lily.content.schemas.GenerationOut
    error = JSONAttribute(null=True)  # Lily's error body's "error"
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()


class ContentDraft(LilyModel):
    class Meta(TableMeta):
        short_name = "content_drafts"

    org_id = UnicodeAttribute(hash_key=True)
    draft_id = UnicodeAttribute(range_key=True)
    generation_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # generate | repurpose | rewrite
    platform = UnicodeAttribute()
    alternative = NumberAttribute(default=0)
    structure = UnicodeAttribute()
    tone = UnicodeAttribute()
    goal = UnicodeAttribute(null=True)
    parts = JSONAttribute()  # list[str]: one post, or a numbered thread
    hashtags = JSONAttribute(null=True)
    template_id = UnicodeAttribute(null=True)
    provider = UnicodeAttribute(null=True)
    model = UnicodeAttribute(null=True)
    input_tokens = NumberAttribute(default=0)
    output_tokens = NumberAttribute(default=0)
    brand_version = NumberAttribute(default=0)
    score = NumberAttribute(default=0)
    reasons = JSONAttribute(null=True)
    flagged = BooleanAttribute(default=False)
    status = UnicodeAttribute(default="draft")  # draft | flagged | approved | saved
    post_id = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=1)
