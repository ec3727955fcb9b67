"""What local mode stores in each declared secret (``lily.core.resources.SECRETS``); never deployed.

Core declares the secrets and knows no capability; the values local mode provisions are composed here,
where importing a capability is allowed. The local sandboxes accept exactly these values: the platform
sandboxes read ``lily.social.settings.LOCAL_APP_SECRETS``, the Stripe sandbox :func:`local_value`.
In the cloud, operators set the values.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import lru_cache

from lily.ai.settings import LOCAL_PROVIDER_KEYS
from lily.identity.tokens import new_signing_key
from lily.social.settings import LOCAL_APP_SECRETS

STRIPE_KEYS = {"api_key": "sk_test_lily_local_sandbox", "webhook_secret": "whsec_lily_local_sandbox_signing_secret"}


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
    "social-apps": lambda: dict(LOCAL_APP_SECRETS),
    "ai-providers": lambda: dict(LOCAL_PROVIDER_KEYS),
}


def local_value(short: str) -> dict:
    """The value local mode stores in secret ``short``."""
    if short not in LOCAL_VALUES:
        raise KeyError(f"no local value for secret {short!r}: add one to lily.local.secret_values")
    return LOCAL_VALUES[short]()
