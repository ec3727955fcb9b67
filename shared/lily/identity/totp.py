"""TOTP (RFC 6238, 30 s steps, ±1 step) and single-use backup codes."""

from __future__ import annotations

import hmac
import secrets

import pyotp

from lily.core import clock
from lily.identity.hashing import hash_secret

BACKUP_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def matching_step(secret: str, code: str, window: int = 1) -> int | None:
    """The time step the code belongs to (now ±window), or None. Callers reject steps already used."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isascii() and code.isdigit()) or len(code) != 6:  # "١٢٣٤٥٦" is a str.isdigit() too
        return None
    totp = pyotp.TOTP(secret)
    now = clock.now()
    current = totp.timecode(now)
    found = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def new_backup_codes() -> list[str]:
    return ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
            for _ in range(BACKUP_CODES)]


def normalise_backup(code: str) -> str:
    raw = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}"


def hash_backup(code: str) -> str:
    return hash_secret("backup:" + normalise_backup(code))
