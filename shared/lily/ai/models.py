"""AI usage records, one per successful provider call.

Access patterns: an organization's calls in a time range (``Query org_id, call_key between``); the
calls of one feature over a range filter that query. Records expire after a year.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import Anonymise, DataRule, Erase, Export, Partition, Scan


class AIUsage(LilyModel):
    class Meta(TableMeta):
        short_name = "ai_usage"
        data = DataRule(
            retention="LILY_AI_USAGE_TTL_DAYS (TTL expires_at)", org=Partition(), user=Scan("user_id"),
            export=Export(), erase=Erase.DELETE, on_user_erased=Anonymise(("user_id",)))

    org_id = UnicodeAttribute(hash_key=True)
    call_key = UnicodeAttribute(range_key=True)  # <ISO time>#<call id>: sorts by time
    user_id = UnicodeAttribute(null=True)
    feature = UnicodeAttribute()
    provider = UnicodeAttribute()
    model = UnicodeAttribute()
    operation = UnicodeAttribute()  # text | moderation | embedding | image
    input_tokens = NumberAttribute(default=0)
    output_tokens = NumberAttribute(default=0)
    total_tokens = NumberAttribute(default=0)
    cost_usd = NumberAttribute(default=0)
    latency_ms = NumberAttribute(default=0)
    attempts = NumberAttribute(default=1)
    at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)
