"""What local mode stores in each declared secret (``lily.core.resources.SECRETS``); never deployed.

Core declares the secrets and knows no capability; the values local mode provisions are composed here,
where importing a capability is allowed. The sandboxes accept exactly these values (they read them with
:func:`local_value`); the sandbox-only ones (the platform app secrets, provider keys and Stripe keys) live only
here, never in deployed settings. In the cloud, operators set the values.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import lru_cache

from lily.identity.tokens import new_signing_key

STRIPE_KEYS = {"api_key": "sk_test_lily_local_sandbox", "webhook_secret": "whsec_lily_local_sandbox_signing_secret"}
# ``social-apps``: the platform sandboxes' client secrets, webhook signing secret and verify token
SOCIAL_APP_SECRETS = {
    "x_client_secret": "sandbox-x-client-secret",
    "x_consumer_secret": "sandbox-x-consumer-secret",
    "meta_app_secret": "sandbox-meta-app-secret",
    "meta_verify_token": "sandbox-meta-verify-token",
    "linkedin_client_secret": "sandbox-linkedin-client-secret",
}
# ``ai-providers``: the keys the OpenAI-compatible sandbox accepts
AI_PROVIDER_KEYS = {"openai_api_key": "sk-lily-local-sandbox", "xai_api_key": "xai-lily-local-sandbox"}


@lru_cache(maxsize=1)
def _jwt_pair() -> tuple[dict, dict]:
    """One ES256 pair per process: the signing secret and the public set must match."""
    return new_signing_key("local-" + secrets.token_hex(4))


# short name -> the value local mode provisions (a test checks every declared secret has one)
LOCAL_VALUES: dict[str, Callable[[], dict]] = {
    "jwt-keys": lambda: {"keys": [dict(_jwt_pair()[1])]},
    "jwt-signing-keys": lambda: dict(_jwt_pair()[0]),
    "csrf-keys": lambda: {"keys": [secrets.token_urlsafe(48)]},
    "stripe": lambda: dict(STRIPE_KEYS),
    "social-apps": lambda: dict(SOCIAL_APP_SECRETS),
    "ai-providers": lambda: dict(AI_PROVIDER_KEYS),
}


def local_value(short: str) -> dict:
    """The value local mode stores in secret ``short``."""
    if short not in LOCAL_VALUES:
        raise KeyError(f"no local value for secret {short!r}: add one to lily.local.secret_values")
    return LOCAL_VALUES[short]()
