"""Heartbeat records.

Access patterns:
- record a beat: PutItem (pk=source, sk=beat_id), conditional on absence (duplicates are no-ops)
- latest beats of a source: Query pk=source, newest first
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lily.core.db import LilyModel, TableMeta


class Heartbeat(LilyModel):
    class Meta(TableMeta):
        short_name = "heartbeats"

    source = UnicodeAttribute(hash_key=True)
    beat_id = UnicodeAttribute(range_key=True)
    sent_at = UTCDateTimeAttribute()
    received_at = UTCDateTimeAttribute()
    lag_ms = NumberAttribute()
    expires_at = TTLAttribute()
