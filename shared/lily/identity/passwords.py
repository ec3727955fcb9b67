"""Password hashing (argon2id) and strength rules."""

from __future__ import annotations

import re
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lily.core.config import on_reset
from lily.core.errors import ErrorCode, LilyError
from lily.identity.settings import identity_settings

_COMMON = {
    "password", "password1", "password123", "123456789012", "qwertyuiopas", "letmein12345", "iloveyou1234",
    "welcome12345", "administrator", "correcthorsebatterystaple", "passwordpassword", "changeme1234",
}
MAX_LENGTH = 128


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    s = identity_settings()
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib,
                          parallelism=s.argon2_parallelism, type=Type.ID)


on_reset(_hasher.cache_clear)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("lily-dummy-password-for-timing")


on_reset(_dummy_hash.cache_clear)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash (None or empty), burn the same time on a dummy hash and fail."""
    try:
        return _hasher().verify(stored_hash or _dummy_hash(), password) and bool(stored_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def check_strength(password: str, email: str | None = None) -> None:
    """Raise VALIDATION_001 with the reasons when a password is too weak."""
    s = identity_settings()
    problems = []
    if len(password) < s.password_min_length:
        problems.append(f"at least {s.password_min_length} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"at most {MAX_LENGTH} characters")
    classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
    if classes < 3 and len(password) < 20:
        problems.append("three of: lower case, upper case, digit, symbol (or 20+ characters)")
    lowered = password.lower()
    if lowered in _COMMON or len(set(lowered)) < 5:
        problems.append("not a common or repetitive password")
    if email:
        local = email.split("@", 1)[0].lower()
        if len(local) >= 4 and local in lowered:
            problems.append("must not contain your email address")
    if problems:
        raise LilyError(ErrorCode.VALIDATION_001, "Password too weak", {"requirements": problems})
