"""Settings as pydantic models read from the environment, validated at cold start.

Logic never reads ``os.environ``: it asks :func:`get_settings` (or a capability's own settings
class, a :class:`BaseSettings` built with :func:`settings_config`). A missing or malformed variable
raises :class:`ConfigError` naming the variable.

The environment reader is this module, not pydantic-settings: that library loads its dotenv, secrets and
cloud providers at import, which cost about half of ``import boto3`` in every function's cold start, and Lily
uses none of them. The rules are the ones pydantic-settings applies to the same classes: a field ``name`` is the
variable ``<env_prefix>NAME`` (or its ``validation_alias``, without prefix), names are case-insensitive, a
list, set, tuple, dict or model field is JSON, every other value is handed to pydantic as the string it is.
"""

from __future__ import annotations

import json
import os
import types
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lily import __version__
from lily.core.schema import Schema


class ConfigError(RuntimeError):
    """Raised at cold start when configuration is missing or malformed."""


def settings_config(prefix: str = "LILY_") -> ConfigDict:
    """The one way every settings class reads the environment: ``model_config = settings_config("LILY_X_")``."""
    return ConfigDict(env_prefix=prefix, extra="ignore")  # type: ignore[typeddict-unknown-key]


class BaseSettings(Schema):
    """Base of every settings class; instances come from :func:`load`, which reads the environment.

    A :class:`~lily.core.schema.Schema`: a settings class builds its validator when it is first loaded, so a
    function that declares (imports) a capability's settings but reads them only on some requests does not build
    them at init; the before-snapshot hook builds every loaded one."""

    model_config = settings_config()


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
    # Field([]) (pydantic copies a mutable default per instance), not default_factory=list: pydantic reads a
    # builtin factory's text signature, which compiles tokenize's regular expressions (~2 ms of every cold start)
    cors_origins: list[str] = Field([], description="CORS allow list (JSON list)")
    public_base_url: str = Field("http://127.0.0.1:8000", description="Base URL users reach the API at")

    def table_name(self, short: str) -> str:
        return f"{self.resource_prefix}{short}"

    def queue_name(self, short: str) -> str:
        return f"{self.resource_prefix}{short}"

    def dlq_name(self, short: str) -> str:
        return f"{self.resource_prefix}{short}-dlq"


S = TypeVar("S", bound=BaseSettings)

_JSON_ORIGINS = (list, set, frozenset, tuple, dict, Mapping)


def _is_json(annotation: Any) -> bool:
    """Whether a field of this type is given as JSON (containers and models, alone or in a union)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_is_json(arg) for arg in get_args(annotation) if arg is not type(None))
    if origin is not None:
        return isinstance(origin, type) and issubclass(origin, _JSON_ORIGINS)
    return isinstance(annotation, type) and issubclass(annotation, (*_JSON_ORIGINS, BaseModel))


def variable_names(cls: type[BaseSettings]) -> dict[str, str]:
    """Field name -> the environment variable it is read from."""
    prefix = cls.model_config.get("env_prefix", "")
    return {name: info.validation_alias if isinstance(info.validation_alias, str) else (prefix + name).upper()
            for name, info in cls.model_fields.items()}


def load(cls: type[S]) -> S:
    """Read a settings class from the environment, turning any error into one naming the variables."""
    environment = {key.upper(): value for key, value in os.environ.items()}
    names = variable_names(cls)
    values: dict[str, Any] = {}
    problems = []
    for field, variable in names.items():
        if variable not in environment:
            continue
        raw = environment[variable]
        key = variable if variable == cls.model_fields[field].validation_alias else field
        if _is_json(cls.model_fields[field].annotation):
            try:
                values[key] = json.loads(raw)
            except ValueError as exc:
                problems.append(f"{variable}: not JSON ({exc})")
        else:
            values[key] = raw
    if not problems:
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            aliases = {variable: variable for variable in names.values()}
            for err in exc.errors():
                where = str(err["loc"][0]) if err["loc"] else ""
                problems.append(f"{names.get(where) or aliases.get(where) or cls.__name__}: {err['msg']}")
    raise ConfigError("invalid configuration: " + "; ".join(problems))


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
