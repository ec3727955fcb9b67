"""Field markers shared by the API models of every capability.

``NotABool``: JSON ``true``/``false`` cannot stand in for an integer (pydantic's lax mode reads them as 1/0),
while the field stays as lax as the published schema's ``integer`` promises (``2.0`` is a JSON Schema integer
and reads as 2; pydantic's strict mode would refuse it). Put it after the field's constraints, so that they stay
``minimum``/``maximum`` in the OpenAPI document::

    expected_version: Annotated[int, Field(ge=1), NotABool] | None = None
"""

from __future__ import annotations

from pydantic import BeforeValidator


def _not_a_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("expected an integer, not a boolean")
    return value


NotABool = BeforeValidator(_not_a_bool)

# An Idempotency-Key header's value: visible ASCII, spaces only inside (an HTTP stack strips them at either end, so
# the key a client sent would not be the key Lily reads). Each route declares it with its own length limit.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"

# Not blank: at least one character that no one counts as white space. JSON Schema's pattern (ECMA-262), pydantic's
# (Rust regex) and Python's str.strip disagree on \s: ECMA leaves out U+001C-U+001F and U+0085, Rust leaves out
# U+001C-U+001F; str.strip removes all of them. A pattern with \S alone lets a client send "\x1f" as valid and
# Lily strip it to nothing, so these are excluded by name.
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"
URL = rf"^https?://{NOT_BLANK}+$"  # an http(s) URL without white space
