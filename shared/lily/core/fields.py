"""Field markers shared by the API models of every capability.

``NotABool``: JSON ``true``/``false`` cannot stand in for an integer (pydantic's lax mode reads them as 1/0),
while the field stays as lax as the published schema's ``integer`` promises (``2.0`` is a JSON Schema integer
and reads as 2; pydantic's strict mode would refuse it). Put it after the field's constraints, so that they stay
``minimum``/``maximum`` in the OpenAPI document::

    expected_version: Annotated[int, Field(ge=1), NotABool] | None = None

``IsoDateTime``: a date-time is an ISO 8601 string, as the published schema (``format: date-time``) says; pydantic's
lax mode would also read a number, or a string holding one (``?start=0.5``), as seconds since 1970::

    start: Annotated[datetime, IsoDateTime] | None = Query(None)
"""

from __future__ import annotations

import re

from pydantic import BeforeValidator

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _not_a_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("expected an integer, not a boolean")
    return value


NotABool = BeforeValidator(_not_a_bool)


def _iso_date_time(value: object) -> object:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("expected an ISO 8601 date-time (2026-12-07T09:30:00Z), not a number")
    return value


IsoDateTime = BeforeValidator(_iso_date_time)

# An Idempotency-Key header's value: visible ASCII, spaces only inside (an HTTP stack strips them at either end, so
# the key a client sent would not be the key Lily reads). Each route declares it with its own length limit.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"

# Not blank: at least one character that no one counts as white space. JSON Schema's pattern (ECMA-262), pydantic's
# (Rust regex) and Python's str.strip disagree on \s: ECMA leaves out U+001C-U+001F and U+0085, Rust leaves out
# U+001C-U+001F; str.strip removes all of them. A pattern with \S alone lets a client send "\x1f" as valid and
# Lily strip it to nothing, so these are excluded by name.
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"
URL = rf"^https?://{NOT_BLANK}+$"  # an http(s) URL without white space
