"""Stateful resources other than tables and queues, declared once.

Tables come from the pynamodb models the functions name (:func:`lily.core.functions.declared_models`), queues
from the function declarations (:func:`lily.core.functions.queues`). Buckets and secrets are listed here; the CDK
stateful stack and the local provisioner both read these lists. The values local mode stores in the
secrets live in :mod:`lily.local.secret_values` (core imports no capability).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from lily.core.config import get_settings


class Secret(NamedTuple):
    purpose: str


# short name -> purpose
BUCKETS: dict[str, str] = {
    "media": "User media (uploads and generated images), private, presigned access only",
}

# short name -> purpose. Values live in Secrets Manager as ``<resource_prefix><short name>``.
SECRETS: dict[str, Secret] = {
    "jwt-keys": Secret("JWT verification keys, public (JWK set, ES256): {keys: [{kid, kty, crv, x, y, alg}]}"),
    "jwt-signing-keys": Secret("JWT signing key, private (the auth function only): {kid, private_key: PEM}"),
    "csrf-keys": Secret("Keys binding CSRF tokens to their session (HMAC of the refresh family): {keys: [...]}"),
    "stripe": Secret("Stripe API key and webhook endpoint secret: {api_key, webhook_secret}"),
    "ai-providers": Secret("AI provider API keys: {openai_api_key, xai_api_key}"),
    "social-apps": Secret("Social platform app secrets: {x_client_secret, x_consumer_secret, meta_app_secret, "
                          "meta_verify_token, linkedin_client_secret}"),
}


def bucket_name(short: str) -> str:
    if short not in BUCKETS:
        raise KeyError(f"undeclared bucket {short!r}")
    s = get_settings()
    return s.media_bucket if short == "media" else f"{s.resource_prefix}{short}"


def secret_name(short: str) -> str:
    if short not in SECRETS:
        raise KeyError(f"undeclared secret {short!r}")
    return f"{get_settings().resource_prefix}{short}"


def read_secret(short: str) -> dict[str, Any]:
    """The JSON value of declared secret ``short`` from Secrets Manager (callers cache it; never log it)."""
    from lily.core.aws import client

    # AWSCURRENT is the default; named so that the version a rotation moved the label to is read in the emulator
    # too (moto keeps serving the first version when no stage is given)
    return json.loads(client("secretsmanager").get_secret_value(SecretId=secret_name(short),
                                                                VersionStage="AWSCURRENT")["SecretString"])
