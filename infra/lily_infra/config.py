"""Per-stage settings of the CDK app and the one place physical names are made.

The stage comes from the ``stage`` context (``cdk synth -c stage=prod``), else ``LILY_STAGE``,
else ``dev``. Other knobs are context values with stage-dependent defaults:

| context key | default | meaning |
|---|---|---|
| ``retain_data`` | false for ``dev``, ``dev-*``, ``pr-*``; else true | RETAIN data, protect tables and stacks |
| ``version`` | ``LILY_VERSION`` or ``lily.__version__`` | reported by ``/health`` |
| ``log_level`` | ``INFO`` | ``LILY_LOG_LEVEL`` and ``POWERTOOLS_LOG_LEVEL`` |
| ``cors_origins`` | ``[]`` | JSON list, ``LILY_CORS_ORIGINS`` and the media bucket's CORS |
| ``public_base_url`` | the HTTP API's URL | ``LILY_PUBLIC_BASE_URL`` (set it when a custom domain fronts the API) |
| ``offline`` | false | ``LILY_OFFLINE``: offline adapters are never deployed unless asked for |
| ``alarm_email`` | none | e-mail subscribed to the alarm topic |
| ``ses_identity`` | none (any identity of the account) | SES identity (domain or address) functions may send from |
| ``api_rate_limit`` / ``api_burst_limit`` | 50/100 (ephemeral), 500/1000 | HTTP API default stage throttling |
| ``snap_start`` | true | Lambda SnapStart on every function's published version (Python 3.12+, arm64 and x86_64) |
| ``reserved_concurrency`` | ``{}`` | JSON ``{"<function>": n}`` over the declared one (``{"publisher": 25}``) |

Reserved concurrency is both a cap and a guarantee (``reserved_concurrency_of``): queue consumers and
scheduled functions get one, so a burst of API traffic can never starve them and they can never scale past
what the platforms and the tables allow; the ``publisher``'s is the number of posts published at once.
HTTP functions get none: the HTTP API stage throttle bounds them (``api_rate_limit`` / ``api_burst_limit``).
The account must keep 100 unreserved executions beside the sum (Lambda refuses the deployment otherwise).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,20}$")
_EPHEMERAL_PREFIXES = ("dev-", "pr-")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# Reserved concurrency by trigger kind, where a function declares none (``FunctionSpec.reserved_concurrency``;
# context ``reserved_concurrency`` overrides both per function). Queue consumers: also their event source's
# maximum concurrency (at least 2). Schedules: a run and the next may overlap once; more would be a pile-up.
RESERVED_CONCURRENCY: dict[str, int] = {"queue": 5, "schedule": 2}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class StageConfig:
    stage: str
    retain_data: bool
    version: str
    log_level: str = "INFO"
    cors_origins: tuple[str, ...] = ()
    public_base_url: str | None = None
    offline: bool = False
    alarm_email: str | None = None
    ses_identity: str | None = None
    api_rate_limit: int = 50
    api_burst_limit: int = 100
    snap_start: bool = True
    reserved_concurrency: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def reserved_concurrency_of(self, function: str, kind: str, declared: int | None = None) -> int | None:
        """The function's reserved concurrency: this stage's value, else the one its declaration gives
        (``declared``), else its kind's (None for HTTP functions: the API throttle bounds them)."""
        if function in self.reserved_concurrency:
            return self.reserved_concurrency[function]
        if declared is not None:
            return declared
        if kind == "http":
            return None
        return RESERVED_CONCURRENCY[kind]

    # -- physical names (must match lily.core.config.CoreSettings and lily.core.resources) --

    @property
    def prefix(self) -> str:
        """``LILY_RESOURCE_PREFIX``: every table, queue and secret name starts with it."""
        return f"lily-{self.stage}-"

    def table_name(self, short: str) -> str:
        return f"{self.prefix}{short}"

    def queue_name(self, short: str) -> str:
        return f"{self.prefix}{short}"

    def dlq_name(self, short: str) -> str:
        return f"{self.prefix}{short}-dlq"

    def secret_name(self, short: str) -> str:
        return f"{self.prefix}{short}"

    def function_name(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def stack_name(self, kind: str) -> str:
        return f"lily-{self.stage}-{kind}"

    @property
    def data_key_alias(self) -> str:
        """``LILY_KMS_KEY_ID`` names this key's ARN; the alias is what people type."""
        return f"alias/lily-{self.stage}-data"

    @property
    def storage_key_alias(self) -> str:
        return f"alias/lily-{self.stage}-storage"

    @property
    def ops_key_alias(self) -> str:
        return f"alias/lily-{self.stage}-ops"

    @property
    def logs_key_alias(self) -> str:
        return f"alias/lily-{self.stage}-logs"

    def failed_runs_queue_name(self, function: str) -> str:
        """The dead-letter queue of a scheduled function's failed asynchronous invocations."""
        return f"{self.prefix}{function}-failed-runs"

    # -- stage-dependent policies --

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.retain_data else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return logs.RetentionDays.THREE_MONTHS if self.retain_data else logs.RetentionDays.TWO_WEEKS

    @property
    def access_log_retention(self) -> logs.RetentionDays:
        return logs.RetentionDays.ONE_YEAR if self.retain_data else logs.RetentionDays.TWO_WEEKS

    @property
    def access_log_expiry_days(self) -> int:
        """How long S3 server access logs are kept."""
        return 365 if self.retain_data else 30


def load_config(context: dict[str, Any], environ: dict[str, str] | None = None) -> StageConfig:
    """Build the stage settings from CDK context values and the environment."""
    env = dict(os.environ if environ is None else environ)
    stage = str(context.get("stage") or env.get("LILY_STAGE") or "dev")
    if not _STAGE.fullmatch(stage):
        raise ValueError(f"stage {stage!r} must match {_STAGE.pattern}")
    ephemeral = stage == "dev" or stage.startswith(_EPHEMERAL_PREFIXES)
    retain = _bool(context["retain_data"]) if "retain_data" in context else not ephemeral

    version = str(context.get("version") or env.get("LILY_VERSION") or _package_version())
    log_level = str(context.get("log_level", "INFO")).upper()
    if log_level not in _LOG_LEVELS:
        raise ValueError(f"log_level must be one of {_LOG_LEVELS}")
    cors = context.get("cors_origins", [])
    if isinstance(cors, str):
        cors = json.loads(cors) if cors.strip() else []
    if not isinstance(cors, list) or not all(isinstance(o, str) for o in cors):
        raise ValueError("cors_origins must be a JSON list of origins")
    rate_default, burst_default = (50, 100) if ephemeral else (500, 1000)
    reserved = context.get("reserved_concurrency", {})
    if isinstance(reserved, str):
        reserved = json.loads(reserved) if reserved.strip() else {}
    if not isinstance(reserved, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 1
            for k, v in reserved.items()):
        raise ValueError('reserved_concurrency must be a JSON object {"<function>": n >= 1}')
    return StageConfig(
        stage=stage,
        retain_data=retain,
        version=version,
        log_level=log_level,
        cors_origins=tuple(cors),
        public_base_url=context.get("public_base_url") or None,
        offline=_bool(context.get("offline", False)),
        alarm_email=context.get("alarm_email") or None,
        ses_identity=context.get("ses_identity") or None,
        api_rate_limit=int(context.get("api_rate_limit", rate_default)),
        api_burst_limit=int(context.get("api_burst_limit", burst_default)),
        snap_start=_bool(context.get("snap_start", True)),
        reserved_concurrency=dict(reserved),
        tags={"project": "lily", "stage": stage},
    )


def _package_version() -> str:
    from lily import __version__

    return __version__
