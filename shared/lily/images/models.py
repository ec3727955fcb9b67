"""Image jobs (each one's contract, progress and, when done, the delivered image's metadata), org image settings
and the style vault.

Access patterns:
- ``ImageJob``: GetItem by (org, job_id); an org's jobs newest first: Query org, descending (ids are ULID-based).
  Status moves only by conditional writes: queued → running → done | failed | blocked (a running job whose
  ``updated_at`` is older than the lease may be taken over by a redelivered message).
- ``ImageSettings``: GetItem by org; writes conditional on the version read (optimistic lock).
- ``ImageStyle``: GetItem by (org, style_id); an org's styles: Query org.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from lily.core.db import LilyModel, TableMeta


class ImageJob(LilyModel):
    class Meta(TableMeta):
        short_name = "image_jobs"

    org_id = UnicodeAttribute(hash_key=True)
    job_id = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute(default="queued")  # queued | running | done | failed | blocked
    stage = UnicodeAttribute(default="queued")  # what the worker is doing now
    contract = JSONAttribute()  # lily.images.contract.PromptContract
    model = UnicodeAttribute()  # the product model the router chose
    # lily.images.rendering.common.Rendered at acceptance: the worker sends exactly what the API showed, even if the
    # org's settings, the vault style or the provider configuration change while the job waits
    rendered = JSONAttribute()
    threshold = NumberAttribute()
    attempt = NumberAttribute(default=0)
    max_attempts = NumberAttribute(default=1)
    current_score = NumberAttribute(null=True)
    attempts_log = JSONAttribute(null=True)  # [{attempt, scores, score, reasons, prompt, latency_ms}]
    quota_held = BooleanAttribute(default=False)  # one unit of image_generations taken at acceptance
    # a provider answered an image (a paid call): the unit is kept even if nothing is delivered
    paid = BooleanAttribute(default=False)
    media_id = UnicodeAttribute(null=True)
    content_type = UnicodeAttribute(null=True)
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    alt_text = UnicodeAttribute(null=True)
    fallback = UnicodeAttribute(null=True)  # text_card when no generated image passed
    reason = UnicodeAttribute(null=True)  # why it fell back, failed or was blocked
    blocked = JSONAttribute(null=True)  # {stage: prompt|image, categories: [...]}
    score = NumberAttribute(null=True)
    judged_by = UnicodeAttribute(null=True)  # vision | heuristics (the judge was off or unavailable)
    duration_s = NumberAttribute(null=True)
    provider_ms = NumberAttribute(null=True)  # the provider's own time of the delivered attempt
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()


class ImageSettings(LilyModel):
    class Meta(TableMeta):
        short_name = "image_settings"

    org_id = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(default=1)
    data = JSONAttribute()  # lily.images.schemas.ImageSettingsIn, validated on every write
    updated_by = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()


class ImageStyle(LilyModel):
    class Meta(TableMeta):
        short_name = "image_styles"

    org_id = UnicodeAttribute(hash_key=True)
    style_id = UnicodeAttribute(range_key=True)
    version = NumberAttribute(default=1)
    data = JSONAttribute()  # lily.images.schemas.StyleIn
    created_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
