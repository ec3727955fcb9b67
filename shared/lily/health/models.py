"""Heartbeat records.

Access patterns:
- record a beat: PutItem (pk=source, sk=beat_id), conditional on absence (duplicates are no-ops)
- latest beats of a source: Query pk=source, newest first
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import DataRule, Erase, NotExported


class Heartbeat(LilyModel):
    class Meta(TableMeta):
        short_name = "heartbeats"
        data = DataRule(
            retention="7 days (TTL expires_at)", export=NotExported("scheduler heartbeats"), erase=Erase.KEEP,
            personal_data=False)

    source = UnicodeAttribute(hash_key=True)
    beat_id = UnicodeAttribute(range_key=True)
    sent_at = UTCDateTimeAttribute()
    received_at = UTCDateTimeAttribute()
    lag_ms = NumberAttribute()
    expires_at = TTLAttribute()
