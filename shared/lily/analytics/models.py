"""Analytics tables.

``analytics_posts`` — one item per published target, its latest counts (kept for good: PRODUCT.md keeps totals per
post beyond the history window):
  - the org's targets published in a period: Query pk=org_id, sk BETWEEN "<start>" AND "<end>~"
    (the sort key starts with the publish instant), paged; per platform, per connection, top posts and the
    heatmap all aggregate this one Query
  - one target, written by the collector: GetItem / UpdateItem pk=org_id, sk=published_key

``analytics_snapshots`` — the time series: one item per target and collection, expiring after the org's
analytics history (TTL, per plan level):
  - a post's curve: Query pk="<org_id>#<post_id>" (every target of the post, each in time order)
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute

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
