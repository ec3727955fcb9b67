"""One quota's use in its period: what :func:`lily.billing.entitlements.consume` answers and the billing API lists.

Its own module so that the workers that consume quotas build this one model, not the billing API's (see
:mod:`lily.billing.schemas`, which re-exports it)."""

from __future__ import annotations

from datetime import datetime

from lily.billing.plans import QuotaKind
from lily.core.schema import Schema


class QuotaUsage(Schema):
    quota: str
    kind: QuotaKind
    period: str
    used: int
    limit: int
    remaining: int
    reset_at: datetime | None
