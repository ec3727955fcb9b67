"""The service stack: the dependency layer, one Lambda per declared function, the HTTP API,
schedules and queue consumers. Alarms and dashboards are in the observability stack (lily_infra.operations),
which reaches these resources by name: CloudFormation allows 500 resources per stack."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from lily.core.functions import FunctionSpec, Http
from lily_infra import nag
from lily_infra.bundling import ARCHITECTURE, RUNTIME, dependency_layer_code
from lily_infra.config import StageConfig
from lily_infra.functions import (
    LilyFunction,
    construct_for,
    deployment_environment,
    function_environment,
)
from lily_infra.stateful import StatefulStack

IN_FUNCTION_AUTH = (
    "Lily authenticates in the function, not at the gateway: every route runs lily.core's JWT / API-key "
    "checks with revocation and plan lookups (an API Gateway authorizer cannot see revocations or plans); "
    "the few public routes (health, webhooks verified by signature, login) are public by design."
)

ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "userAgent": "$context.identity.userAgent",
}


class ServiceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        specs: Sequence[FunctionSpec],
        stateful: StatefulStack,
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

        self.api = apigwv2.HttpApi(
            self, "Api",
            api_name=f"lily-{config.stage}",
            description=f"Lily {config.stage} HTTP API: one Lambda per route prefix",
            create_default_stage=False,
        )
        self.access_logs = logs.LogGroup(
            self, "ApiAccessLogs",
            log_group_name=f"/aws/apigateway/lily-{config.stage}-access",
            retention=config.access_log_retention,
            encryption_key=stateful.logs_key,
            removal_policy=config.removal_policy,
        )
        self.stage = apigwv2.HttpStage(
            self, "DefaultStage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=config.api_rate_limit, burst_limit=config.api_burst_limit),
            access_log_settings=_AccessLogSettings(self.access_logs),
        )
        nag.acknowledge(self.api, "AwsSolutions-APIG4", IN_FUNCTION_AUTH)
        nag.acknowledge(self.api, "AwsSolutions-COG4", IN_FUNCTION_AUTH)

        media = stateful.bucket_names.get("media", "")
        environment = deployment_environment(
            config,
            data_key_arn=stateful.data_key.key_arn,
            media_bucket=media,
            function_count=len(specs),
            public_base_url=config.public_base_url or self.api.api_endpoint,
        )

        self.functions: dict[str, LilyFunction] = {}
        for spec in specs:
            kind = construct_for(spec)
            extra: dict[str, Any] = {"api": self.api} if isinstance(spec.trigger, Http) else {}
            self.functions[spec.name] = kind(
                self, spec.name,
                spec=spec, config=config, stateful=stateful, layer=self.layer,
                environment=function_environment(spec, environment), **extra,
            )

        CfnOutput(self, "ApiUrl", value=self.api.api_endpoint, description="Base URL of the HTTP API")


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    """``IAccessLogSettings``: JSON access logs into ``log_group``."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)
        self._format = apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")))

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format
