"""The function stacks: the declared functions, spread over ``FUNCTION_STACKS`` stacks
(``lily-<stage>-functions-1`` ... ``-N``) so that no stack nears CloudFormation's 500 resources.

A function costs about a dozen resources (function, role, two policies, log group, version, alias, then its
trigger: route(s), integration and one invoke permission; an event source mapping; or a rule, its permission,
an invoke config and a failed-runs queue with its policy). One stack per function would make deployments crawl;
one stack for all stopped deploying at about 40 functions.

Which stack a function lands in is a pure function of its name (:func:`stack_index`): a CRC-32 of its
*capability*, the first word of its name (``research``, ``research_worker`` and ``research_schedule`` are one
capability), modulo ``FUNCTION_STACKS``. So:

- adding or removing a function never moves another one (a function has a fixed physical name: moving it
  between stacks means deleting it in one and creating it in the other);
- a capability's functions share a stack: its API, worker and schedule deploy together, in one update.

Functions reaching the vector collection may sit in any stack: each such stack gets its own data access policy
(``VectorCollection.grant_data_access``).

Each function stack carries its own copy of the dependency layer (same asset, one resource): a layer version
exported from another stack could never be replaced while imported. The stacks depend on the stateful stack
(tables, queues, keys) and on the service stack (the HTTP API id and URL), never on each other; alarms and
dashboards reach the functions by their physical names. :func:`check_budget` fails synthesis when a stack would
pass ``RESOURCE_BUDGET``: then raise ``FUNCTION_STACKS`` (that moves functions once; see infra/README.md).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnResource, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from lily.core.functions import FunctionSpec, Http
from lily_infra.bundling import ARCHITECTURE, RUNTIME, dependency_layer_code
from lily_infra.config import StageConfig
from lily_infra.functions import LilyFunction, construct_for, deployment_environment, function_environment
from lily_infra.stateful import StatefulStack

FUNCTION_STACKS = 4
# tests/infra holds every stack under 450; CloudFormation refuses 500.
RESOURCE_BUDGET = 400


def capability(function: str) -> str:
    """The first word of a function's name: the functions of one capability share a stack."""
    return function.split("_", 1)[0]


def stack_index(function: str, count: int = FUNCTION_STACKS) -> int:
    """The function stack (1..count) ``function`` belongs to: stable, whatever else is declared."""
    return zlib.crc32(capability(function).encode()) % count + 1


def stack_kind(index: int) -> str:
    """``StageConfig.stack_name(kind)`` of function stack ``index``."""
    return f"functions-{index}"


def resource_count(stack: Stack) -> int:
    return sum(1 for c in stack.node.find_all() if isinstance(c, CfnResource))


def check_budget(stacks: Sequence[Stack], budget: int = RESOURCE_BUDGET) -> None:
    over = {s.stack_name: n for s in stacks if (n := resource_count(s)) > budget}
    if over:
        raise ValueError(f"stacks over the {budget}-resource budget: {over}; raise "
                         "lily_infra.function_stacks.FUNCTION_STACKS (see infra/README.md, Function stacks)")


class FunctionStack(Stack):
    """Its share of the declared functions, with their triggers, on its own copy of the dependency layer."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        specs: Sequence[FunctionSpec],
        function_count: int,
        stateful: StatefulStack,
        api: apigwv2.HttpApi,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.layer = lambda_.LayerVersion(
            self, "DependencyLayer",
            code=dependency_layer_code(),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description=f"Lily {config.stage}: runtime dependencies and the lily package",
        )
        environment = deployment_environment(
            config,
            data_key_arn=stateful.data_key.key_arn,
            media_bucket=stateful.bucket_names.get("media", ""),
            function_count=function_count,
            public_base_url=config.public_base_url or api.api_endpoint,
        )
        self.functions: dict[str, LilyFunction] = {}
        for spec in specs:
            extra: dict[str, Any] = {"api": api} if isinstance(spec.trigger, Http) else {}
            self.functions[spec.name] = construct_for(spec)(
                self, spec.name,
                spec=spec, config=config, stateful=stateful, layer=self.layer,
                environment=function_environment(spec, environment), **extra,
            )
