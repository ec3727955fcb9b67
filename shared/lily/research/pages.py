"""Cursor paging of research's per-org lists (Query pk=org_id backwards; the cursor is the last key)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import TypeVar

from lily.core.errors import ErrorCode, LilyError

T = TypeVar("T")
_SORT_KEY = re.compile(r"^[a-z]{3}_[0-9a-z]{26}$")


def encode(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"k": sort_key}).encode()).decode().rstrip("=")


def decode(cursor: str) -> str:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["k"]
        if not isinstance(key, str) or not _SORT_KEY.fullmatch(key):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise LilyError(ErrorCode.VALIDATION_001, "bad cursor", {"field": "cursor"}) from None
    return key


def page(model, org_id: str, sort_attr: str, limit: int, cursor: str | None,
         shape: Callable[[object], T]) -> tuple[list[T], str | None]:
    """Up to ``limit`` of the org's items, newest first, and the cursor of the next page (None at the end)."""
    start = {"org_id": {"S": org_id}, sort_attr: {"S": decode(cursor)}} if cursor else None
    rows = list(model.query(org_id, scan_index_forward=False, last_evaluated_key=start, limit=limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return [shape(r) for r in rows], encode(getattr(rows[-1], sort_attr)) if more and rows else None
