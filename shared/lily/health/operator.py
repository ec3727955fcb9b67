"""Who may run the deep health check: a platform admin, or a monitor holding the operator token.

The token itself is never stored: the deployment sets ``LILY_HEALTH_OPERATOR_TOKEN_SHA256`` (hex sha256 of it),
and a caller sends the token in ``X-Operator-Token``. Unset, only platform admins get in.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from pydantic import Field

from lily.core.config import BaseSettings, load, on_reset, settings_config

OPERATOR_HEADER = "X-Operator-Token"


class HealthSettings(BaseSettings):
    model_config = settings_config("LILY_HEALTH_")

    operator_token_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$",
                                              description="sha256 (hex) of the token monitors send to /health/deep")


@lru_cache(maxsize=1)
def health_settings() -> HealthSettings:
    return load(HealthSettings)


on_reset(health_settings.cache_clear)


def is_operator(token: str | None) -> bool:
    expected = health_settings().operator_token_sha256
    if not expected or not token:
        return False
    return hmac.compare_digest(expected, hashlib.sha256(token.encode()).hexdigest())
