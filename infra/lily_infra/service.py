"""The service stack: the HTTP API (its stage and access logs), alarms and the dashboard.

The functions, with their routes, schedules and queue consumers, are in the function stacks
(:mod:`lily_infra.function_stacks`), which import the API from here; the alarms and the dashboard reach them
by their physical names (:class:`FunctionMetrics`), so this stack never imports from a function stack."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_logs as logs
from constructs import Construct

from lily.core.functions import FunctionSpec, Http, Schedule
from lily_infra import nag
from lily_infra.config import StageConfig
from lily_infra.functions import IN_FUNCTION_AUTH
from lily_infra.monitoring import Monitoring
from lily_infra.operations import Operations
from lily_infra.stateful import StatefulStack

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

        self.monitoring = Monitoring(
            self, "Monitoring",
            config=config,
            functions={spec.name: FunctionMetrics(config.function_name(spec.name)) for spec in specs},
            queues={short: (config.queue_name(short), config.dlq_name(short))
                    for short in stateful.queues},
            failed_runs={spec.name: config.failed_runs_queue_name(spec.name) for spec in specs
                         if isinstance(spec.trigger, Schedule)},
            api=self.api,
        )
        self.operations = Operations(
            self, "Operations",
            config=config,
            action=self.monitoring.action,
            functions=[spec.name for spec in specs],
            http_functions={spec.name for spec in specs if isinstance(spec.trigger, Http)},
            queues={short: (config.queue_name(short), config.dlq_name(short)) for short in stateful.queues},
            api_id=self.api.api_id,
            existing_alarms=self.monitoring.alarms,
        )
        CfnOutput(self, "ApiUrl", value=self.api.api_endpoint, description="Base URL of the HTTP API")
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)


class FunctionMetrics:
    """A function's CloudWatch metrics by its physical name (what ``Monitoring`` reads of a function), for a
    function in another stack: a reference to the function itself would export it from its stack, and the
    export would then block removing or moving it."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name

    def metric(self, metric_name: str, *, period: Duration, statistic: str = "Sum") -> cw.Metric:
        return cw.Metric(namespace="AWS/Lambda", metric_name=metric_name,
                         dimensions_map={"FunctionName": self.function_name}, statistic=statistic, period=period)

    def metric_invocations(self, *, period: Duration, statistic: str = "Sum") -> cw.Metric:
        return self.metric("Invocations", period=period, statistic=statistic)

    def metric_errors(self, *, period: Duration, statistic: str = "Sum") -> cw.Metric:
        return self.metric("Errors", period=period, statistic=statistic)

    def metric_throttles(self, *, period: Duration, statistic: str = "Sum") -> cw.Metric:
        return self.metric("Throttles", period=period, statistic=statistic)

    def metric_duration(self, *, period: Duration, statistic: str = "Average") -> cw.Metric:
        return self.metric("Duration", period=period, statistic=statistic)


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
