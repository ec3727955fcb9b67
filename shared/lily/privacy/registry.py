"""``GET /api/data/retention``: every table's data rule, as data (``lily.core.retention.describe``)."""

from __future__ import annotations

from lily.core.db import LilyModel
from lily.core.retention import describe
from lily.privacy.schemas import SCHEMA_VERSION, RetentionOut, RetentionRule


def registry(models: tuple[type[LilyModel], ...]) -> RetentionOut:
    rules = sorted((describe(m) for m in models), key=lambda r: r["table"])
    return RetentionOut(schema_version=SCHEMA_VERSION, tables=[RetentionRule.model_validate(r) for r in rules])
