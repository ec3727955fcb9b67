"""How each platform proves a webhook delivery is its own, exactly as its public docs describe it.

Every comparison is constant-time (:func:`hmac.compare_digest`) and over the raw body bytes as received (Meta
warns that payloads carry unicode escapes such as ``\\u00e4``: re-serialising the JSON would break the signature).

- Meta (https://developers.facebook.com/docs/graph-api/webhooks/getting-started): verification
  ``GET ?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<n>`` is answered with the challenge; event POSTs
  carry ``X-Hub-Signature-256: sha256=<lowercase hex HMAC-SHA256(App Secret, raw body)>``.
- X (https://docs.x.com/x-api/webhooks/quickstart): the CRC ``GET ?crc_token=<t>`` is answered with
  ``{"response_token": "sha256=" + base64(HMAC-SHA256(consumer secret, t))}``; event POSTs carry
  ``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, raw body)>``.
- LinkedIn (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation): the validation
  ``GET ?challengeCode=<uuid>`` is answered with ``{"challengeCode", "challengeResponse": hex HMAC-SHA256(client
  secret, challengeCode)}``; event POSTs carry ``X-LI-Signature`` = hex HMAC-SHA256(client secret,
  ``"hmacsha256=" + raw body``): the prefix is part of the signed string, not of the header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _mac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def _same(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").strip().encode())


def meta_valid(raw: bytes, header: str | None, app_secret: str) -> bool:
    return bool(app_secret) and _same("sha256=" + _mac(app_secret, raw).hex(), header)


def meta_subscription_valid(mode: str | None, token: str | None, verify_token: str) -> bool:
    return mode == "subscribe" and bool(verify_token) and _same(verify_token, token)


def x_valid(raw: bytes, header: str | None, consumer_secret: str) -> bool:
    return bool(consumer_secret) and _same(x_crc_response(raw, consumer_secret), header)


def x_crc_response(crc_token: bytes, consumer_secret: str) -> str:
    return "sha256=" + base64.b64encode(_mac(consumer_secret, crc_token)).decode()


def linkedin_valid(raw: bytes, header: str | None, client_secret: str) -> bool:
    return bool(client_secret) and _same(_mac(client_secret, b"hmacsha256=" + raw).hex(), header)


def linkedin_challenge_response(challenge_code: str, client_secret: str) -> str:
    return _mac(client_secret, challenge_code.encode()).hex()
