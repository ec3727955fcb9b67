"""Hashes of stored secrets, in a module of their own so that checking one loads no JWT or key code."""

from __future__ import annotations

import hashlib


def hash_secret(value: str) -> str:
    """sha256 of a high-entropy secret (refresh tokens, one-time tokens, API keys, backup codes)."""
    return hashlib.sha256(value.encode()).hexdigest()
