"""Stateful resources other than tables and queues, declared once.

Tables come from the pynamodb models (:func:`lily.core.db.all_models`), queues from the function
declarations (:func:`lily.core.functions.queues`). Buckets and secrets are listed here; the CDK
stateful stack and the local provisioner both read these lists.
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from lily.core.config import get_settings


@dataclass(frozen=True)
class Secret:
    purpose: str
    # The value local mode provisions (never used in the cloud, where operators set the value).
    local_value: Callable[[], dict] = field(default=dict)


def _local_jwt_keys() -> dict:
    kid = "local-" + _secrets.token_hex(4)
    return {"active_kid": kid, "keys": {kid: _secrets.token_urlsafe(48)}}


def _local_social_apps() -> dict:
    from lily.social.settings import LOCAL_APP_SECRETS  # the values the local platform sandboxes accept

    return dict(LOCAL_APP_SECRETS)


def _local_ai_keys() -> dict:
    from lily.ai.settings import LOCAL_PROVIDER_KEYS  # the keys the local OpenAI-compatible sandbox accepts

    return dict(LOCAL_PROVIDER_KEYS)


# short name -> purpose
BUCKETS: dict[str, str] = {
    "media": "User media (uploads and generated images), private, presigned access only",
}

# short name -> purpose. Values live in Secrets Manager as ``<resource_prefix><short name>``.
SECRETS: dict[str, Secret] = {
    "jwt-keys": Secret("JWT signing keys: {active_kid, keys: {kid: secret}}", _local_jwt_keys),
    # Fixed local values: the local Stripe sandbox (lily.local.sandboxes.stripe) uses the same ones.
    "stripe": Secret("Stripe API key and webhook endpoint secret: {api_key, webhook_secret}",
                     lambda: {"api_key": "sk_test_lily_local_sandbox",
                              "webhook_secret": "whsec_lily_local_sandbox_signing_secret"}),
    "ai-providers": Secret("AI provider API keys: {openai_api_key, xai_api_key}", _local_ai_keys),
    "social-apps": Secret("Social platform app secrets: {x_client_secret, x_consumer_secret, meta_app_secret, "
                          "meta_verify_token, linkedin_client_secret}", _local_social_apps),
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
