"""Analytics tables.

``analytics_posts`` — one item per published target, its latest counts (kept for good: PRODUCT.md keeps totals per
post beyond the history window):
  - the org's targets published in a period: Query pk=org_id, sk BETWEEN "<start>" AND "<end>~"
    (the sort key starts with the publish instant), paged; per platform, per connection, top posts and the
    heatmap all aggregate this one Query
  - one target, written by the collector: GetItem / UpdateItem pk=org_id, sk=published_key

``analytics_followers`` — one item per connection and UTC day, its follower count (TTL: the org's history):
  - an org's follower counts over a period: Query pk=org_id, sk BETWEEN "<start day>" AND "<end day>~"
  - the day's count, written by the daily (or on-demand) collection: PutItem pk=org_id, sk="<day>#<connection_id>"

``analytics_snapshots`` — the time series: one item per target and collection, expiring after the org's
analytics history (TTL, per plan level):
  - a post's curve: Query pk="<org_id>#<post_id>" (every target of the post, each in time order)
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import DataRule, Erase, Export, Partition, Scan

COUNTS = ("impressions", "likes", "comments", "shares", "clicks")


def instant_key(at: datetime) -> str:
    """A sortable UTC instant (fixed width: string order is time order, whatever offset ``at`` came with)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def published_key(published_at: datetime, target_id: str) -> str:
    return f"{instant_key(published_at)}#{target_id}"


def series_key(org_id: str, post_id: str) -> str:
    return f"{org_id}#{post_id}"


class AnalyticsPost(LilyModel):
    class Meta(TableMeta):
        short_name = "analytics_posts"
        data = DataRule(retention="while the organization exists", org=Partition(), export=Export(), erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    published_key = UnicodeAttribute(range_key=True)
    target_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    connection_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    platform_post_id = UnicodeAttribute()
    published_at = UTCDateTimeAttribute()
    impressions = NumberAttribute(null=True)
    likes = NumberAttribute(null=True)
    comments = NumberAttribute(null=True)
    shares = NumberAttribute(null=True)
    clicks = NumberAttribute(null=True)
    collected_at = UTCDateTimeAttribute()
    last_run = UnicodeAttribute(null=True)  # the run that last collected it: a resumed run skips it
    # What made it (read once, at its first collection, then carried): the generated draft's template, tone and
    # structure (None: written by hand) and whether one of its media is an AI-generated image.
    template_id = UnicodeAttribute(null=True)
    tone = UnicodeAttribute(null=True)
    structure = UnicodeAttribute(null=True)
    ai_image = BooleanAttribute(null=True)


class AnalyticsFollowers(LilyModel):
    class Meta(TableMeta):
        short_name = "analytics_followers"
        data = DataRule(
            retention="per plan level (TTL expires_at)", org=Partition(), export=Export(), erase=Erase.DELETE)

    org_id = UnicodeAttribute(hash_key=True)
    day_key = UnicodeAttribute(range_key=True)  # "<YYYY-MM-DD>#<connection_id>" (UTC day)
    connection_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    day = UnicodeAttribute()
    followers = NumberAttribute()
    collected_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class AnalyticsSnapshot(LilyModel):
    class Meta(TableMeta):
        short_name = "analytics_snapshots"
        data = DataRule(
            retention="per plan level (TTL expires_at)", org=Scan("series", prefix="{id}#"), export=Export(),
            erase=Erase.DELETE)

    series = UnicodeAttribute(hash_key=True)  # "<org_id>#<post_id>"
    point = UnicodeAttribute(range_key=True)  # "<target_id>#<instant_key(taken_at)>"
    target_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    taken_at = UTCDateTimeAttribute()
    impressions = NumberAttribute(null=True)
    likes = NumberAttribute(null=True)
    comments = NumberAttribute(null=True)
    shares = NumberAttribute(null=True)
    clicks = NumberAttribute(null=True)
    expires_at = TTLAttribute()
