"""One construct per kind of function, all built from a ``FunctionSpec``.

:class:`LilyFunction` is what every function gets: its own role (no AWS managed policies), its
own log group with retention, the runtime/architecture/layer, the deployment's environment and
exactly its declared access. :class:`HttpFunction`, :class:`QueueFunction` and
:class:`ScheduledFunction` add the trigger.

Queue consumers and scheduled functions have a reserved concurrency (``StageConfig.reserved_concurrency_of``);
a scheduled function's failed runs (EventBridge invokes it asynchronously) land, after Lambda's retries, in
its own dead-letter queue, which is alarmed.

Each deployment publishes a version of every function and points its ``live`` alias at it; every
trigger invokes the alias. With SnapStart on (the default, ``StageConfig.snap_start``), Lambda
initializes the version once at publish time and resumes new execution environments from its
snapshot (``lily.core.snapstart`` holds the priming and after-restore hooks). SnapStart serves only
published versions, hence the alias.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import Annotations, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from lily.core.functions import FunctionSpec, Http, Queue, Schedule
from lily_infra import nag
from lily_infra.access import STORAGE_KEY, access_policy
from lily_infra.bundling import ARCHITECTURE, RUNTIME, function_code
from lily_infra.config import StageConfig
from lily_infra.stateful import StatefulStack

# Function-level overrides of these are allowed; every other deployment variable is fixed.
OVERRIDABLE_ENV = frozenset({"LILY_LOG_LEVEL", "POWERTOOLS_LOG_LEVEL"})

LIVE_ALIAS = "live"

IN_FUNCTION_AUTH = (
    "Lily authenticates in the function, not at the gateway: every route runs lily.core's JWT / API-key "
    "checks with revocation and plan lookups (an API Gateway authorizer cannot see revocations or plans); "
    "the few public routes (health, webhooks verified by signature, login) are public by design."
)


def vector_environment(stateful: StatefulStack) -> dict[str, str]:
    """What a function declaring ``Access(vectors=True)`` sees: the OpenSearch Serverless collection, SigV4."""
    return {
        "LILY_VECTOR_BACKEND": "opensearch",
        "LILY_OPENSEARCH_ENDPOINT": stateful.vectors.endpoint,
        "LILY_OPENSEARCH_AUTH": "sigv4",
        "LILY_OPENSEARCH_SERVICE": "aoss",
    }

XRAY_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
XRAY_REASON = (
    "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (Resource must "
    "be *); this separate policy holds only those two actions for Powertools Tracer."
)


def deployment_environment(
    config: StageConfig, *, data_key_arn: str, media_bucket: str, function_count: int, public_base_url: str,
) -> dict[str, str]:
    """What every function sees (lily.core.config.CoreSettings plus Powertools)."""
    return {
        "LILY_STAGE": config.stage,
        "LILY_VERSION": config.version,
        "LILY_RESOURCE_PREFIX": config.prefix,
        "LILY_KMS_KEY_ID": data_key_arn,
        "LILY_MEDIA_BUCKET": media_bucket,
        "LILY_FUNCTION_COUNT": str(function_count),
        "LILY_OFFLINE": "true" if config.offline else "false",
        "LILY_LOG_LEVEL": config.log_level,
        "LILY_CORS_ORIGINS": json.dumps(list(config.cors_origins)),
        "LILY_PUBLIC_BASE_URL": public_base_url,
        "POWERTOOLS_SERVICE_NAME": "lily",
        "POWERTOOLS_METRICS_NAMESPACE": "Lily",
        "POWERTOOLS_LOG_LEVEL": config.log_level,
        # Never record a handler's response or error in X-Ray: responses carry tokens, cookies and new keys.
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
        "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
    }


def function_environment(spec: FunctionSpec, deployment: Mapping[str, str]) -> dict[str, str]:
    clash = sorted(set(spec.environment) & (set(deployment) - OVERRIDABLE_ENV))
    reserved = sorted(k for k in spec.environment if k.startswith("AWS_"))
    if clash or reserved:
        raise ValueError(f"function {spec.name!r} sets deployment variables in its environment: {clash + reserved}")
    return {**deployment, **spec.environment}


class LilyFunction(Construct):
    """A Lambda function with its own role, log group and exactly its declared access."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        config: StageConfig,
        stateful: StatefulStack,
        layer: lambda_.ILayerVersion,
        environment: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        if spec.folder is None:
            raise ValueError(f"function {spec.name!r} has no folder")
        self.spec = spec
        self.config = config
        self.stateful = stateful
        self.function_name = config.function_name(spec.name)
        stack = Stack.of(self)

        self.log_group = logs.LogGroup(
            self, "Logs",
            log_group_name=f"/aws/lambda/{self.function_name}",
            retention=config.log_retention,
            encryption_key=stateful.logs_key,
            removal_policy=config.removal_policy,
        )
        self.role = iam.Role(
            self, "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Lily {config.stage} {spec.name}: only its declared access"[:1000],
        )

        granted = access_policy(spec, stateful, config, stack)
        access = self.access = iam.Policy(self, "AccessPolicy", roles=[self.role])
        # Instead of AWSLambdaBasicExecutionRole: write to this function's own log group only.
        access.add_statements(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[self.log_group.log_group_arn],
        ))
        for statement in granted.statements:
            access.add_statements(statement)
        for rule_id, reason in granted.acknowledgments.items():
            nag.acknowledge(access, rule_id, reason)

        tracing = iam.Policy(self, "TracingPolicy", roles=[self.role], statements=[
            iam.PolicyStatement(actions=XRAY_ACTIONS, resources=["*"]),
        ])
        nag.acknowledge(tracing, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)

        if spec.access.vectors:
            # The collection's data access policy names this role; the function finds the collection by endpoint.
            stateful.vectors.grant_data_access(self.role)
            environment = {**environment, **vector_environment(stateful)}

        self.function = lambda_.Function(
            self, "Function",
            function_name=self.function_name,
            description=spec.description[:256],
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=function_code(spec.folder),
            layers=[layer],
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            reserved_concurrent_executions=config.reserved_concurrency_of(spec.name, spec.trigger.kind,
                                                                          spec.reserved_concurrency),
            role=self.role,
            environment=dict(environment),
            log_group=self.log_group,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if config.snap_start else None,
            # A version replaced by the next deployment is deleted (its snapshot is billed while it exists).
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY),
        )
        # Active tracing without CDK's implicit X-Ray grant (it lands in the role's default policy
        # with Resource "*"; TracingPolicy above holds it instead, acknowledged on its own).
        cfn_function: lambda_.CfnFunction = self.function.node.default_child  # type: ignore[assignment]
        cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
        # The function must not run before its permissions exist.
        self.function.node.add_dependency(access)
        self.function.node.add_dependency(tracing)
        # What every trigger invokes: the version this deployment published (SnapStart's snapshot).
        self.alias = lambda_.Alias(self, "Live", alias_name=LIVE_ALIAS, version=self.function.current_version)
        Annotations.of(self.function).acknowledge_warning(
            "@aws-cdk/aws-lambda:snapStartRequirePublish", "every deployment publishes a version: the live alias")


class HttpFunction(LilyFunction):
    """Routes ``ANY <prefix>`` and ``ANY <prefix>/{proxy+}`` of the HTTP API (payload v2).

    The routes and their integration live beside the function (its stack may not be the API's), and one
    ``AWS::Lambda::Permission`` lets this API invoke the alias, from any stage, method and path
    (``arn:...:execute-api:<region>:<account>:<api id>/*/*/*``): not one per route, which cost a resource per
    route for no protection (only this API's routes reach the function, and they are this function's).
    """

    def __init__(self, scope: Construct, construct_id: str, *, api: apigwv2.HttpApi, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        trigger = self.spec.trigger
        assert isinstance(trigger, Http)
        integration = HttpLambdaIntegration(
            f"{self.spec.name}-integration", self.alias,
            payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
            scope_permission_to_route=False,  # one permission for the API, made once for all routes
        )
        self.routes: list[apigwv2.HttpRoute] = []
        for prefix in trigger.prefixes:
            for path in (prefix, f"{prefix}/{{proxy+}}"):
                route = apigwv2.HttpRoute(
                    self, f"ANY{path}",
                    http_api=api,
                    route_key=apigwv2.HttpRouteKey.with_(path, apigwv2.HttpMethod.ANY),
                    integration=integration,
                )
                nag.acknowledge(route, "AwsSolutions-APIG4", IN_FUNCTION_AUTH)
                nag.acknowledge(route, "AwsSolutions-COG4", IN_FUNCTION_AUTH)
                self.routes.append(route)


class QueueFunction(LilyFunction):
    """Consumes its queue in batches, reporting partial batch failures."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        trigger = self.spec.trigger
        assert isinstance(trigger, Queue)
        window = trigger.max_batching_window_s
        reserved = self.config.reserved_concurrency_of(self.spec.name, trigger.kind, self.spec.reserved_concurrency)
        self.alias.add_event_source(event_sources.SqsEventSource(
            self.stateful.queues[trigger.queue],
            batch_size=trigger.batch_size,
            max_batching_window=Duration.seconds(window) if window else None,
            report_batch_item_failures=True,
            # Never poll more batches at once than the function may run (throttled batches would burn receives).
            max_concurrency=reserved if reserved and reserved >= 2 else None,
        ))


class ScheduledFunction(LilyFunction):
    """Invoked by an EventBridge rule on its schedule, asynchronously: a run that still fails after Lambda's
    two retries (or waits longer than an hour) goes to the function's ``failed_runs`` queue."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        trigger = self.spec.trigger
        assert isinstance(trigger, Schedule)
        storage_key = self.stateful.storage_key
        self.failed_runs = sqs.Queue(
            self, "FailedRuns",
            queue_name=self.config.failed_runs_queue_name(self.spec.name),
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=storage_key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=self.config.removal_policy,
        )
        nag.acknowledge(self.failed_runs, "AwsSolutions-SQS3",
                        "This queue is itself a dead-letter queue: the on-failure destination of the function's "
                        "asynchronous invocations (Lambda DeadLetterConfig), which cdk-nag does not recognise.")
        # Lambda sends a failed event with the function's role: exactly SendMessage, the key only through SQS.
        self.access.add_statements(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.failed_runs.queue_arn]),
            iam.PolicyStatement(
                actions=sorted(STORAGE_KEY[("sqs", "write")]), resources=[storage_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sqs.{Aws.REGION}.amazonaws.com"}}),
        )
        cfn_function: lambda_.CfnFunction = self.function.node.default_child  # type: ignore[assignment]
        cfn_function.dead_letter_config = lambda_.CfnFunction.DeadLetterConfigProperty(
            target_arn=self.failed_runs.queue_arn)
        self.alias.configure_async_invoke(retry_attempts=2, max_event_age=Duration.hours(1))
        self.rule = events.Rule(
            self, "Schedule",
            description=f"Lily {self.config.stage} {self.spec.name}: {trigger.expression}",
            schedule=events.Schedule.expression(trigger.expression),
            targets=[targets.LambdaFunction(self.alias, retry_attempts=2, max_event_age=Duration.hours(1))],
        )


KINDS: dict[type, type[LilyFunction]] = {Http: HttpFunction, Queue: QueueFunction, Schedule: ScheduledFunction}


def construct_for(spec: FunctionSpec) -> type[LilyFunction]:
    try:
        return KINDS[type(spec.trigger)]
    except KeyError:
        raise ValueError(f"function {spec.name!r}: no construct for trigger {type(spec.trigger).__name__}") from None
