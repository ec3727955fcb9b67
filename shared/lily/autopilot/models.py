"""Autopilot tables and their access patterns.

``autopilot_configs`` — pk ``org_id``: the org's autopilot settings.
  - read / write: GetItem; PutItem conditional on ``version``
  - the daily schedule: Query GSI ``due`` pk ``due`` (= ``"due"`` only while enabled: sparse), sk ``next_run``
    <= now; each due config is claimed by moving ``next_run`` to the next local run hour (conditional on the value
    read), so overlapping ticks never start one org's day twice
  - the weekly report: the same index, every enabled org

``autopilot_runs`` — pk ``org_id``, sk ``run_id`` (ULID-based: newest first when queried backwards): one run, its
  log (what it read, made, spent, why it stopped).
  - list / get: Query pk backwards, cursor paged / GetItem
  - the worker's claim: UpdateItem conditional on ``status == "queued"`` (or a running lease that has ended)
  - TTL ``expires_at``

``autopilot_ledger`` — pk ``org_id``, sk ``<kind>#<period>``: autopilot's own counters, changed only by
  conditional ``ADD``: ``cost#YYYY-MM`` (micro-USD spent against the monthly AI budget) and ``posts#YYYY-MM-DD``
  (posts made against the setting's posts per day, the org's local day). Of two runs racing for the last unit,
  one wins. TTL ``expires_at``.

``autopilot_campaigns`` — pk ``org_id``, sk ``campaign_id``: a full-level campaign (theme, days, posting plan).
  - the active one: Query pk backwards, first item whose ``ends_on`` >= today (one small item per campaign)

``autopilot_notices`` — pk ``org_id``, sk ``notice_id``: a limit reached, with the plan that lifts it.
  - list: Query pk backwards, cursor paged; TTL ``expires_at``

``autopilot_reports`` — pk ``org_id``, sk ``week`` (the Monday the week starts, ``YYYY-MM-DD``): the weekly report.
  - list / get: Query pk backwards / GetItem; written once per week (PutItem conditional on absence)
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
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import Anonymise, DataRule, Erase, Export, Partition, Scan


class DueIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "due"
        projection = AllProjection()

    due = UnicodeAttribute(hash_key=True)
    next_run = UnicodeAttribute(range_key=True)


class AutopilotConfig(LilyModel):
    class Meta(TableMeta):
        short_name = "autopilot_configs"
        data = DataRule(
            retention="while the organization exists", org=Partition(), user=Scan("updated_by"), export=Export(),
            erase=Erase.DELETE, on_user_erased=Anonymise(("updated_by",)))

    org_id = UnicodeAttribute(hash_key=True)
    enabled = BooleanAttribute(default=False)
    connection_ids = JSONAttribute(default=list)  # empty: every active connection
    posts_per_day = NumberAttribute(default=1)
    topics = JSONAttribute(default=list)
    days = JSONAttribute(default=list)  # ["mon", ...]; empty: every day
    quiet_hours = JSONAttribute(null=True)  # {"start": 22, "end": 7}, local hours [start, end)
    approval_required = BooleanAttribute(default=False)
    monthly_budget_usd = NumberAttribute(default=0)
    campaign_days = NumberAttribute(default=5)
    images = BooleanAttribute(null=True)  # each post gets a generated image
    due = UnicodeAttribute(null=True)  # "due" while enabled (the sparse index)
    next_run = UnicodeAttribute(null=True)  # ISO instant, UTC, of the next daily run
    updated_by = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(default=0)
    due_index = DueIndex()


class AutopilotRun(LilyModel):
    class Meta(TableMeta):
        short_name = "autopilot_runs"
        data = DataRule(retention="TTL expires_at", org=Partition(), export=Export(), erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute(range_key=True)
    trigger = UnicodeAttribute()  # schedule | manual
    status = UnicodeAttribute(default="queued")  # queued | running | done | stopped | refused | failed
    level = UnicodeAttribute(null=True)
    plan_id = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)  # the org's local day the run is for
    read = JSONAttribute(null=True)  # what it read: report, best hours, connections, campaign
    made = JSONAttribute(default=list)  # [{post_id, draft_id, connection_id, platform, at, state, topic}]
    spent = JSONAttribute(null=True)  # {ai_requests, posts, images, cost_usd}
    stopped = JSONAttribute(null=True)  # {reason, limit, used, upgrade_to, message}
    log = JSONAttribute(default=list)  # [{at, event, ...}]
    lease_until = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class AutopilotLedger(LilyModel):
    class Meta(TableMeta):
        short_name = "autopilot_ledger"
        data = DataRule(retention="the budget period (TTL expires_at)", org=Partition(), export=Export(),
                        erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    used = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


class AutopilotCampaign(LilyModel):
    class Meta(TableMeta):
        short_name = "autopilot_campaigns"
        data = DataRule(retention="while the organization exists", org=Partition(), export=Export(), erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    campaign_id = UnicodeAttribute(range_key=True)
    theme = UnicodeAttribute()
    report_id = UnicodeAttribute(null=True)
    starts_on = UnicodeAttribute()  # local day, YYYY-MM-DD
    ends_on = UnicodeAttribute()
    plan = JSONAttribute()  # [{day, topics: [...]}]
    created_at = UTCDateTimeAttribute()


class AutopilotNotice(LilyModel):
    class Meta(TableMeta):
        short_name = "autopilot_notices"
        data = DataRule(retention="TTL expires_at", org=Partition(), export=Export(), erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    notice_id = UnicodeAttribute(range_key=True)
    run_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute()
    message = UnicodeAttribute()
    upgrade_to = UnicodeAttribute(null=True)
    details = JSONAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)


class AutopilotReport(LilyModel):
    class Meta(TableMeta):
        short_name = "autopilot_reports"
        data = DataRule(retention="while the organization exists", org=Partition(), export=Export(), erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    week = UnicodeAttribute(range_key=True)
    data = JSONAttribute()  # lily.autopilot.schemas.WeeklyReportOut
    created_at = UTCDateTimeAttribute()
