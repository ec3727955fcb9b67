"""Pagination of list endpoints: ``limit`` (capped) and an opaque ``cursor`` in, ``items`` and
``next_cursor`` out.

Every route that returns a collection takes :func:`lily.core.page_query.page_params` and answers a page
model (``items`` + ``next_cursor``) built by :func:`query_page`; ``tests/integration/test_pagination.py``
walks the live route table and fails on a list route without both parameters. The cursor is DynamoDB's
resume key for the last item returned (pynamodb reconstructs it from that item), base64url JSON; it must
name the same partition the route queries, so a cursor from another organization or list is refused
(VALIDATION_001), never a read elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any, NamedTuple, TypeVar

from pynamodb.exceptions import QueryError

from lily.core.errors import invalid

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
MAX_CURSOR = 1024

T = TypeVar("T")
M = TypeVar("M")


class PageParams(NamedTuple):
    """``limit`` and ``cursor`` of one request (routes read them with :func:`lily.core.page_query.page_params`)."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def encode_cursor(key: Mapping[str, Any] | None) -> str | None:
    if not key:
        return None
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _attribute_value(value: Any) -> bool:
    """A DynamoDB key attribute value: ``{"S": str}`` or ``{"N": str}``."""
    return isinstance(value, dict) and len(value) == 1 and all(
        t in ("S", "N") and isinstance(v, str) for t, v in value.items())


def decode_cursor(cursor: str | None, partition: Mapping[str, str]) -> dict[str, Any] | None:
    """The resume key in ``cursor``, which must lie in ``partition`` (``{"org_id": ...}``); 400 otherwise."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = isinstance(key, dict) and all(_attribute_value(v) for v in key.values())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        valid = False
    if not valid or any(key.get(name) != {"S": value} for name, value in partition.items()):
        raise invalid("bad cursor: pass the next_cursor of the previous page of this list")
    return key


def query_page(
    query: Callable[[dict[str, Any] | None, int], Iterator[M]],
    partition: Mapping[str, str],
    params: PageParams,
    to_out: Callable[[M], T],
    keep: Callable[[M], bool] | None = None,
) -> tuple[list[T], str | None]:
    """One page: ``query(start_key, limit)`` is a pynamodb query/index query (``last_evaluated_key=start_key,
    limit=limit``) in ``partition``; ``keep`` drops items read but not shown (expired, dangling).
    Returns (items, next_cursor); next_cursor is None on the last page."""
    start = decode_cursor(params.cursor, partition)
    try:
        results = query(start, params.limit + 1)
        page = list(islice(results, params.limit))
        resume = results.last_evaluated_key  # type: ignore[attr-defined]
        more = next(results, None) is not None
    except QueryError as exc:
        if start is not None and "ValidationException" in str(getattr(exc, "cause_response_code", "") or exc):
            raise invalid("bad cursor: pass the next_cursor of the previous page of this list") from None
        raise
    items = [to_out(m) for m in page if keep is None or keep(m)]
    return items, encode_cursor(resume) if more else None
