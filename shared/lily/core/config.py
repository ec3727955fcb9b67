"""Settings as pydantic models, validated at cold start.

Logic never reads ``os.environ``: it asks :func:`get_settings` (or a capability's own settings
class built with :func:`settings_config`). A missing or malformed variable raises
:class:`ConfigError` naming the variable.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from lily import __version__


class ConfigError(RuntimeError):
    """Raised at cold start when configuration is missing or malformed."""


def settings_config(prefix: str = "LILY_") -> SettingsConfigDict:
    """The one way every settings class reads the environment."""
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", case_sensitive=False)


class CoreSettings(BaseSettings):
    """Settings every function needs. Environment variables are ``LILY_<FIELD>``."""

    model_config = settings_config()

    stage: str = Field("local", pattern=r"^[a-z][a-z0-9-]{0,20}$", description="Deployment stage name")
    version: str = Field(__version__, description="Build version reported by /health")
    resource_prefix: str = Field(
        "lily-local-", pattern=r"^[a-z0-9-]{1,40}$", description="Prefix of every table and queue name"
    )
    region: str = Field("us-east-1", validation_alias="AWS_REGION", description="AWS region")
    aws_endpoint_url: str | None = Field(
        None, validation_alias="AWS_ENDPOINT_URL", description="Emulator endpoint (moto, LocalStack)"
    )
    kms_key_id: str = Field("alias/lily-local-data", description="KMS key (id, ARN or alias) for envelope encryption")
    media_bucket: str = Field("lily-local-media", description="S3 bucket for media")
    function_count: int = Field(0, ge=0, description="How many functions the deployment declares")
    offline: bool = Field(False, description="Use offline adapters for every third party")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    cors_origins: list[str] = Field(default_factory=list, description="CORS allow list (JSON list)")
    public_base_url: str = Field("http://127.0.0.1:8000", description="Base URL users reach the API at")

    def table_name(self, short: str) -> str:
        return f"{self.resource_prefix}{short}"

    def queue_name(self, short: str) -> str:
        return f"{self.resource_prefix}{short}"

    def dlq_name(self, short: str) -> str:
        return f"{self.resource_prefix}{short}-dlq"


S = TypeVar("S", bound=BaseSettings)


def load(cls: type[S]) -> S:
    """Instantiate a settings class, turning pydantic's error into one naming the variables."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = cls.model_config.get("env_prefix", "")
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            info = cls.model_fields.get(field)
            alias = info.validation_alias if info and isinstance(info.validation_alias, str) else None
            problems.append(f"{alias or (prefix + field).upper()}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> CoreSettings:
    return load(CoreSettings)


def reset_settings() -> None:
    """Forget cached settings (tests and the local runner change the environment)."""
    get_settings.cache_clear()
    for hook in _reset_hooks:
        hook()


_reset_hooks: list = []


def on_reset(hook) -> None:
    """Register a cache-clearing hook run by :func:`reset_settings`."""
    _reset_hooks.append(hook)
