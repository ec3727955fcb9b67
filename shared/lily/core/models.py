"""Tables of the shared mechanisms in core (access patterns next to each model).

``breakers`` — pk ``<scope>:<name>`` (``platform:x``, ``connection:<id>``, ``ai:openai``): circuit breaker state
shared by every instance (:mod:`lily.core.breaker`). GetItem / BatchGetItem and conditional UpdateItem only.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import DataRule, Erase, NotExported


class BreakerState(LilyModel):
    class Meta(TableMeta):
        short_name = "breakers"
        data = DataRule(
            retention="overwritten on every state change", export=NotExported("circuit-breaker state per dependency"),
            erase=Erase.KEEP, personal_data=False)

    key = UnicodeAttribute(hash_key=True)
    state = UnicodeAttribute(default="closed")  # closed | open | half_open
    failures = NumberAttribute(default=0)
    open_until = NumberAttribute(default=0)  # epoch seconds
    probe_until = NumberAttribute(default=0)
    updated_at = UTCDateTimeAttribute(null=True)
