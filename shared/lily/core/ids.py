"""Identifiers: sortable, random, URL-safe."""

from __future__ import annotations

import os
import secrets

from lily.core import clock

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


def _b32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def ulid(ts: float | None = None) -> str:
    """A ULID: 48-bit millisecond time (``ts``, else now) + 80 random bits, lexicographically sortable."""
    ms = int((clock.now_ts() if ts is None else ts) * 1000)
    return _b32(ms, 10) + _b32(int.from_bytes(os.urandom(10), "big"), 16)


def ulid_floor(ts: float) -> str:
    """The smallest ULID of the millisecond ``ts`` (lower case, as in :func:`new_id`): ids at or after the instant
    sort at or after it (a range key condition "since ``ts``")."""
    return (_b32(int(ts * 1000), 10) + "0" * 16).lower()


def new_id(prefix: str, ts: float | None = None) -> str:
    """A prefixed sortable id such as ``org_01J...``, of the instant ``ts`` (else now)."""
    return f"{prefix}_{ulid(ts).lower()}"


def token(nbytes: int = 32) -> str:
    """An unguessable URL-safe secret."""
    return secrets.token_urlsafe(nbytes)
