"""Alarms and the dashboard.

- every DLQ: ``ApproximateNumberOfMessagesVisible >= 1`` (one poisoned message is worth a look), the
  queues' DLQs and each scheduled function's failed-runs queue alike;
- every function: error rate (errors / invocations) >= 5 % over five minutes;
- the HTTP API: 5xx answers;
- (the plan-limit, 5xx-rate, latency, publish-lag, heartbeat and AI-provider alarms of the SLOs and the business,
  technical and SRE dashboards are :mod:`lily_infra.operations`, beside this construct in the service stack)
- rate limits failing open: any ``rate_limit_store_errors_total`` (the counter store was unreachable);
- domain events lost: any ``domain_events_lost_total`` (an event SQS refused: webhooks missed it);
- all alarms notify an SNS topic encrypted with its own key (CloudWatch cannot publish to a topic
  under the AWS managed SNS key), optionally with an e-mail subscription.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from lily_infra.config import StageConfig

ERROR_RATE_THRESHOLD_PCT = 5
API_5XX_THRESHOLD = 5
FIVE_MINUTES = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: Mapping[str, lambda_.Function],
        queues: Mapping[str, tuple[str, str]],
        api: apigwv2.HttpApi,
        failed_runs: Mapping[str, str] | None = None,
    ) -> None:
        """``queues`` maps a queue's short name to (queue name, DLQ name); ``failed_runs`` a scheduled
        function's name to the name of the queue its failed asynchronous runs go to."""
        super().__init__(scope, construct_id)
        self.config = config
        key = kms.Key(
            self, "AlarmTopicKey",
            alias=config.ops_key_alias,
            description=f"Lily {config.stage}: encryption of the alarm topic",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudWatchAlarmsToPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=["*"],
        ))
        self.topic = sns.Topic(
            self, "AlarmTopic",
            topic_name=f"lily-{config.stage}-alarms",
            display_name=f"Lily {config.stage} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.action = cw_actions.SnsAction(self.topic)
        self.alarms: list[cw.Alarm] = []

        self.dlq_alarms: dict[str, cw.Alarm] = {}
        for short, (_queue_name, dlq_name) in sorted(queues.items()):
            self.dlq_alarms[short] = self._alarm(
                f"{short}-dlq-depth",
                metric=_sqs_metric("ApproximateNumberOfMessagesVisible", dlq_name, "Maximum", Duration.minutes(1),
                                   label=False),
                threshold=1,
                description=f"Messages in {dlq_name}: a {short} message failed every delivery attempt. "
                            "Runbook: docs/runbooks/dlq-growing.md",
            )

        self.failed_run_alarms: dict[str, cw.Alarm] = {}
        for name, queue_name in sorted((failed_runs or {}).items()):
            self.failed_run_alarms[name] = self._alarm(
                f"{name}-failed-runs",
                metric=_sqs_metric("ApproximateNumberOfMessagesVisible", queue_name, "Maximum", Duration.minutes(1),
                                   label=False),
                threshold=1,
                description=f"Messages in {queue_name}: a scheduled {name} run failed after Lambda's retries.",
            )

        self.error_rate_alarms: dict[str, cw.Alarm] = {}
        for name, fn in sorted(functions.items()):
            self.error_rate_alarms[name] = self._alarm(
                f"{name}-error-rate",
                metric=_error_rate(fn),
                threshold=ERROR_RATE_THRESHOLD_PCT,
                description=f"{config.function_name(name)}: >= {ERROR_RATE_THRESHOLD_PCT}% of invocations failed.",
            )

        self._alarm(
            "api-5xx",
            metric=api.metric_server_error(period=FIVE_MINUTES, statistic="Sum"),
            threshold=API_5XX_THRESHOLD,
            description=f"The HTTP API answered >= {API_5XX_THRESHOLD} 5xx in five minutes.",
        )
        self._alarm(
            "rate-limits-failing-open",
            metric=cw.MathExpression(
                expression='SELECT SUM(rate_limit_store_errors_total) FROM "Lily"',
                using_metrics={},
                period=FIVE_MINUTES,
                label="rate_limit_store_errors_total (all route classes)",
            ),
            threshold=1,
            description="The rate-limit counter store was unreachable: limits are off (login, register and "
                        "reset answer 503) until it is back.",
        )

        self._alarm(
            "domain-events-lost",
            metric=cw.MathExpression(
                expression='SELECT SUM(domain_events_lost_total) FROM "Lily"',
                using_metrics={},
                period=FIVE_MINUTES,
                label="domain_events_lost_total (all event types)",
            ),
            threshold=1,
            description="A domain event (lily.core.events.emit) could not be queued: outbound webhooks missed it.",
        )

        self.dashboard = self._dashboard(functions, queues, api)

    def _alarm(self, name: str, *, metric: cw.IMetric, threshold: float, description: str) -> cw.Alarm:
        alarm = cw.Alarm(
            self, name,
            alarm_name=f"lily-{self.config.stage}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self.action)
        alarm.add_ok_action(self.action)
        self.alarms.append(alarm)
        return alarm

    def _dashboard(self, functions: Mapping[str, lambda_.Function], queues: Mapping[str, tuple[str, str]],
                   api: apigwv2.HttpApi) -> cw.Dashboard:
        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"lily-{self.config.stage}")
        dashboard.add_widgets(
            cw.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24, height=4),
        )
        dashboard.add_widgets(
            cw.GraphWidget(title="HTTP API requests", width=12, left=[
                api.metric_count(period=FIVE_MINUTES),
                api.metric_client_error(period=FIVE_MINUTES),
                api.metric_server_error(period=FIVE_MINUTES),
            ]),
            cw.GraphWidget(title="HTTP API latency p95 (ms)", width=12, left=[
                api.metric_latency(period=FIVE_MINUTES, statistic="p95"),
                api.metric_integration_latency(period=FIVE_MINUTES, statistic="p95"),
            ]),
        )
        widgets: list[cw.IWidget] = []
        for name, fn in sorted(functions.items()):
            widgets.append(cw.GraphWidget(
                title=name, width=8,
                left=[fn.metric_invocations(period=FIVE_MINUTES), fn.metric_errors(period=FIVE_MINUTES),
                      fn.metric_throttles(period=FIVE_MINUTES)],
                right=[fn.metric_duration(period=FIVE_MINUTES, statistic="p95")],
            ))
        for short, (queue_name, dlq_name) in sorted(queues.items()):
            widgets.append(cw.GraphWidget(
                title=f"queue {short}", width=8,
                left=[_sqs_metric("ApproximateNumberOfMessagesVisible", queue_name, "Maximum", FIVE_MINUTES),
                      _sqs_metric("ApproximateNumberOfMessagesVisible", dlq_name, "Maximum", FIVE_MINUTES)],
                right=[_sqs_metric("ApproximateAgeOfOldestMessage", queue_name, "Maximum", FIVE_MINUTES)],
            ))
        for i in range(0, len(widgets), 3):
            dashboard.add_widgets(*widgets[i:i + 3])
        return dashboard


def _sqs_metric(metric_name: str, queue_name: str, statistic: str, period: Duration, *,
                label: bool = True) -> cw.Metric:
    return cw.Metric(namespace="AWS/SQS", metric_name=metric_name, dimensions_map={"QueueName": queue_name},
                     statistic=statistic, period=period, label=f"{metric_name} {queue_name}" if label else None)


def _error_rate(fn: lambda_.Function) -> cw.MathExpression:
    return cw.MathExpression(
        expression="IF(invocations > 0, 100 * errors / invocations, 0)",
        using_metrics={
            "errors": fn.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
            "invocations": fn.metric_invocations(period=FIVE_MINUTES, statistic="Sum"),
        },
        period=FIVE_MINUTES,
        label="error rate (%)",
    )
