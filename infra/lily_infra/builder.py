"""Build the whole CDK app from the declarations: ``build_app()`` is what ``infra/app.py`` and the
infra tests call."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Aspects, Environment, Tags

from lily_infra import ROOT, nag
from lily_infra.config import StageConfig, load_config
from lily_infra.function_stacks import FUNCTION_STACKS, FunctionStack, check_budget, stack_index, stack_kind
from lily_infra.posture import PostureSuppressions
from lily_infra.service import ServiceStack
from lily_infra.stateful import QueueDecl, StatefulStack, TableModel

CDK_JSON = ROOT / "cdk.json"
CONFIG_KEYS = ("stage", "retain_data", "version", "log_level", "cors_origins", "public_base_url", "offline",
               "alarm_email", "ses_identity", "api_rate_limit", "api_burst_limit", "snap_start", "reserved_concurrency")
# Synthesize without building any asset (no pip, no Docker): what the tests use.
NO_BUNDLING = {"aws:cdk:bundling-stacks": []}


@dataclass
class LilyApp:
    app: App
    config: StageConfig
    stateful: StatefulStack
    service: ServiceStack
    function_stacks: list[FunctionStack]

    @property
    def stacks(self) -> list[Any]:
        return [self.stateful, self.service, *self.function_stacks]


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The ``context`` of cdk.json (feature flags). The CDK CLI passes it to the app itself; reading it
    here gives ``python infra/app.py`` and the tests the same flags."""
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get("context", {}))


def declarations() -> tuple[list[Any], list[TableModel], list[QueueDecl], dict[str, str], dict[str, str]]:
    """Everything the app is generated from, read from ``lily``."""
    from lily.core.functions import declared_models, discover, queues
    from lily.core.resources import BUCKETS, SECRETS

    specs = list(discover())
    tables = [TableModel.of(model) for model in declared_models()]
    queue_decls = [
        QueueDecl(short=short, max_receive_count=spec.trigger.max_receive_count,
                  visibility_timeout_s=spec.visibility_timeout_s)
        for short, spec in queues()
    ]
    buckets = {short: str(getattr(v, "purpose", v)) for short, v in BUCKETS.items()}
    secrets = {short: str(getattr(v, "purpose", v)) for short, v in SECRETS.items()}
    return specs, tables, queue_decls, buckets, secrets


def build_app(
    *,
    stage: str | None = None,
    context: dict[str, Any] | None = None,
    outdir: str | os.PathLike[str] | None = None,
    with_nag: bool = True,
) -> LilyApp:
    ctx = {**cdk_json_context(), **(context or {})}
    if stage:
        ctx["stage"] = stage
    app = App(context=ctx, outdir=str(outdir) if outdir else None)
    values = {k: app.node.try_get_context(k) for k in CONFIG_KEYS}
    config = load_config({k: v for k, v in values.items() if v is not None})

    specs, tables, queue_decls, buckets, secrets = declarations()
    env = Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))
    protect = config.retain_data
    stateful = StatefulStack(
        app, config.stack_name("stateful"),
        description=f"Lily {config.stage}: tables, buckets, keys, queues and secrets",
        env=env, termination_protection=protect,
        config=config, tables=tables, queues=queue_decls, buckets=buckets, secrets=secrets,
    )
    service = ServiceStack(
        app, config.stack_name("service"),
        description=f"Lily {config.stage}: HTTP API, alarms and dashboard",
        env=env, termination_protection=protect,
        config=config, specs=specs, stateful=stateful,
    )
    function_stacks = []
    for index in range(1, FUNCTION_STACKS + 1):
        function_stacks.append(FunctionStack(
            app, config.stack_name(stack_kind(index)),
            description=f"Lily {config.stage}: functions ({index} of {FUNCTION_STACKS}), their routes, "
                        "schedules and queue consumers",
            env=env, termination_protection=protect,
            config=config, specs=[s for s in specs if stack_index(s.name) == index], function_count=len(specs),
            stateful=stateful, api=service.api,
        ))
    check_budget([stateful, service, *function_stacks])
    for key, value in config.tags.items():
        Tags.of(app).add(key, value)
    Aspects.of(app).add(PostureSuppressions())  # checkov's acknowledged findings, each with its reason
    if with_nag:
        nag.enable(app)
    return LilyApp(app=app, config=config, stateful=stateful, service=service, function_stacks=function_stacks)
