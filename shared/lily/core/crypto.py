"""KMS envelope encryption: a fresh data key per value, AES-256-GCM, the tenant in the context.

The encryption context is bound twice: KMS refuses to decrypt the data key under another context,
and the same context is the AES-GCM associated data. The envelope is a compact JSON string safe to
store in a DynamoDB attribute. Plaintext never appears in logs or exceptions.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lily.core.aws import client
from lily.core.config import get_settings
from lily.core.errors import ErrorCode, LilyError

_VERSION = 1


def _aad(context: dict[str, str]) -> bytes:
    return json.dumps(context, sort_keys=True, separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def encrypt(plaintext: bytes | str, context: dict[str, str], key_id: str | None = None) -> str:
    """Envelope-encrypt ``plaintext`` under the deployment's KMS key with ``context``."""
    if not context:
        raise ValueError("an encryption context is required")
    data = plaintext.encode() if isinstance(plaintext, str) else plaintext
    kms = client("kms")
    resp = kms.generate_data_key(
        KeyId=key_id or get_settings().kms_key_id, KeySpec="AES_256", EncryptionContext=context
    )
    nonce = os.urandom(12)
    sealed = AESGCM(resp["Plaintext"]).encrypt(nonce, data, _aad(context))
    envelope = {"v": _VERSION, "k": _b64(resp["CiphertextBlob"]), "n": _b64(nonce), "c": _b64(sealed)}
    return json.dumps(envelope, separators=(",", ":"))


def decrypt(envelope: str, context: dict[str, str]) -> bytes:
    """Open an envelope. A wrong context, a tampered value or a foreign key raises ``LilyError``."""
    return _open(envelope, context)[0]


def sealed_by(envelope: str, context: dict[str, str]) -> str:
    """The ARN of the KMS key whose material sealed ``envelope``'s data key (opens it to learn it)."""
    return _open(envelope, context)[1]


def reseal(envelope: str, context: dict[str, str], key_id: str | None = None) -> tuple[str, str]:
    """The same plaintext under a fresh data key from the deployment's key as it is now (its current key material
    after a rotation, or the key its alias points to now): ``(new envelope, ARN of the key that had sealed it)``.
    The re-encryption job (``python -m functions.admin_cli reencrypt``) runs it over every stored secret."""
    plaintext, old_key = _open(envelope, context)
    return encrypt(plaintext, context, key_id), old_key


@dataclass
class ResealReport:
    """What one store's re-encryption did (the re-encryption jobs of social and identity)."""

    store: str
    resealed: int = 0
    raced: int = 0  # changed meanwhile (sealed again by its owner, under the current key): left as it is
    failed: int = 0  # could not be opened: logged with the record's id, never the secret
    sealed_by: dict[str, int] = field(default_factory=dict)  # KMS key ARN that had sealed the values -> count


def _open(envelope: str, context: dict[str, str]) -> tuple[bytes, str]:
    try:
        env: dict[str, Any] = json.loads(envelope)
        if env.get("v") != _VERSION:
            raise ValueError("unknown envelope version")
        blob, nonce, sealed = (base64.b64decode(env[k]) for k in ("k", "n", "c"))
    except (ValueError, KeyError, TypeError) as exc:
        raise LilyError(ErrorCode.SYSTEM_001, "stored secret is malformed") from exc
    try:
        opened = client("kms").decrypt(CiphertextBlob=blob, EncryptionContext=context)
        return AESGCM(opened["Plaintext"]).decrypt(nonce, sealed, _aad(context)), str(opened.get("KeyId", ""))
    except (ClientError, InvalidTag) as exc:
        raise LilyError(ErrorCode.AUTH_003, "secret cannot be opened in this context") from exc


def decrypt_text(envelope: str, context: dict[str, str]) -> str:
    return decrypt(envelope, context).decode()
