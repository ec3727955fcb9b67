"""The SLO alarms and the business, technical and SRE dashboards, in the service stack beside
:class:`lily_infra.monitoring.Monitoring` (docs/operations.md says which alarm guards which SLO, and the runbook each
one leads to in docs/runbooks/). Functions live in the function stacks: everything here reaches them by their
physical names, never by reference (a reference would export them from their stack).

SLO alarms (every one notifies Monitoring's alarm topic, and names its runbook):

- ``plan-limit-hits``: ``plan_limit_hits_total`` (every feature and plan) > 5 in a minute;
- ``dlq-backlog``: ``dlq_items_total`` (the ``heartbeat`` schedule's gauge of every queue's DLQ) > 0; each DLQ also has
  its own depth alarm (Monitoring);
- ``api-5xx-rate``: 5xx answers > 1 % of the HTTP API's requests over five minutes;
- ``<function>-latency-p99``: each HTTP function's p99 duration over its threshold, three five-minute periods
  running (:data:`LATENCY_P99_MS`: most routes 1.5 s, the routes that call an AI provider or a platform inline more);
- ``publish-lag-p99-<platform>``: ``publish_lag_seconds`` p99 > 120 s (published minus scheduled);
- ``heartbeat-missing``: no ``heartbeats_recorded_total`` for 15 minutes (missing data breaches: silence is the
  failure);
- ``ai-error-rate-<provider>``: ``ai_provider_calls_total{result=error}`` > 10 % of the provider's calls over
  five minutes.

Dashboards: ``lily-<stage>-business`` (signups, posts created and published, checkouts and plan changes, Stripe
events, plan-limit hits, quota utilisation), ``lily-<stage>-technical`` (per function: latency p50/p99, errors,
throttles; the API's 4xx/5xx and latency), ``lily-<stage>-sre`` (alarm states, queue depth and age, DLQ gauges,
publish lag, breaker transitions, heartbeats, gauge drift, JWT key cache, AI provider calls).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from constructs import Construct

from lily_infra.config import StageConfig

NAMESPACE = "Lily"
SERVICE = {"service": "lily"}  # every EMF metric carries the Powertools service dimension
ONE_MINUTE = Duration.minutes(1)
FIVE_MINUTES = Duration.minutes(5)
FIFTEEN_MINUTES = Duration.minutes(15)

PLAN_LIMIT_HITS_PER_MINUTE = 5
API_5XX_RATE_PCT = 1
PUBLISH_LAG_P99_S = 120
AI_ERROR_RATE_PCT = 10
PLATFORMS = ("x", "facebook", "instagram", "linkedin")
AI_PROVIDERS = ("openai", "xai")
LATENCY_P99_MS_DEFAULT = 1500
# Functions whose routes call a provider inline (AI generation, platform OAuth, Stripe) or do deliberate slow work
# (argon2, the enumeration floor) get the threshold their route's work allows.
LATENCY_P99_MS: dict[str, int] = {
    "content": 20000, "images": 8000, "research": 8000, "analytics": 5000, "social": 8000, "billing": 5000,
    "auth": 3000, "publishing_admin": 10000, "health": 3000, "privacy": 3000,
}
RUNBOOKS = "docs/runbooks"


def insights(function: str, metric: str, period: Duration, group: str | None = None,
             label: str | None = None) -> cw.MathExpression:
    """A CloudWatch Metrics Insights query over Lily's EMF metrics: ``SELECT function(metric) FROM "Lily"``, grouped
    by the ``group`` dimensions."""
    query = f'SELECT {function}({metric}) FROM "{NAMESPACE}"'  # noqa: S608 - constant names, no input
    if group:
        query += f" GROUP BY {group}"
    return cw.MathExpression(expression=query, using_metrics={}, period=period, label=label or metric)


def lily_metric(name: str, statistic: str, period: Duration = FIVE_MINUTES, **dims: str) -> cw.Metric:
    return cw.Metric(namespace=NAMESPACE, metric_name=name, dimensions_map={**dims, **SERVICE},
                     statistic=statistic, period=period, label=f"{name} {' '.join(dims.values())}".strip())


def lambda_metric(function_name: str, metric: str, statistic: str) -> cw.Metric:
    return cw.Metric(namespace="AWS/Lambda", metric_name=metric, dimensions_map={"FunctionName": function_name},
                     statistic=statistic, period=FIVE_MINUTES, label=f"{metric} {statistic}")


def api_metric(api_id: str, metric: str, statistic: str) -> cw.Metric:
    return cw.Metric(namespace="AWS/ApiGateway", metric_name=metric, dimensions_map={"ApiId": api_id},
                     statistic=statistic, period=FIVE_MINUTES, label=f"{metric} {statistic}")


class Operations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        action: cw_actions.SnsAction,
        functions: list[str],
        http_functions: set[str],
        queues: Mapping[str, tuple[str, str]],
        api_id: str,
        existing_alarms: list[cw.Alarm],
    ) -> None:
        """``functions`` and ``http_functions`` are function names as declared (``publisher``);
        ``existing_alarms`` Monitoring's (shown on the SRE dashboard with these)."""
        super().__init__(scope, construct_id)
        self.config = config
        self.action = action
        self.alarms: dict[str, cw.Alarm] = {}

        self._alarm(
            "plan-limit-hits", runbook="quota-misconfiguration",
            metric=insights("SUM", "plan_limit_hits_total", ONE_MINUTE, label="plan_limit_hits_total per minute"),
            threshold=PLAN_LIMIT_HITS_PER_MINUTE, comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description=f"More than {PLAN_LIMIT_HITS_PER_MINUTE} plan-limit refusals in a minute: a client looping "
                        "on a limit, or a plan or quota misconfigured.")
        self._alarm(
            "dlq-backlog", runbook="dlq-growing",
            metric=insights("MAX", "dlq_items_total", FIVE_MINUTES, label="dlq_items_total (largest DLQ)"),
            threshold=0, comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description="A dead-letter queue holds messages (dlq_items_total > 0).")
        self._alarm(
            "api-5xx-rate", runbook="api-errors",
            metric=cw.MathExpression(
                expression="IF(requests > 0, 100 * errors / requests, 0)",
                using_metrics={"errors": api_metric(api_id, "5xx", "Sum"),
                               "requests": api_metric(api_id, "Count", "Sum")},
                period=FIVE_MINUTES, label="5xx rate (%)"),
            threshold=API_5XX_RATE_PCT, comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description=f"More than {API_5XX_RATE_PCT}% of API requests answered 5xx over five minutes "
                        "(API availability SLO).")
        for name in sorted(http_functions):
            threshold = LATENCY_P99_MS.get(name, LATENCY_P99_MS_DEFAULT)
            self._alarm(
                f"{name}-latency-p99", runbook="api-errors",
                metric=lambda_metric(config.function_name(name), "Duration", "p99"),
                threshold=threshold, comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD, periods=3,
                description=f"{config.function_name(name)}: p99 duration above {threshold} ms for 15 minutes "
                            "(API latency SLO).")
        for platform in PLATFORMS:
            self._alarm(
                f"publish-lag-p99-{platform}", runbook="stuck-schedules",
                metric=lily_metric("publish_lag_seconds", "p99", platform=platform),
                threshold=PUBLISH_LAG_P99_S, comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"Posts to {platform} went out more than {PUBLISH_LAG_P99_S} s after their time (p99, "
                            "publish-on-time SLO).")
        self._alarm(
            "heartbeat-missing", runbook="stuck-schedules",
            metric=insights("SUM", "heartbeats_recorded_total", FIFTEEN_MINUTES,
                            label="heartbeats recorded in 15 minutes"),
            threshold=1, comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cw.TreatMissingData.BREACHING,
            description="No heartbeat recorded for 15 minutes: the schedule -> queue -> worker path is broken.")
        for provider in AI_PROVIDERS:
            self._alarm(
                f"ai-error-rate-{provider}", runbook="ai-provider-down",
                metric=cw.MathExpression(
                    expression="IF(ok + err > 0, 100 * err / (ok + err), 0)",
                    using_metrics={
                        "ok": lily_metric("ai_provider_calls_total", "Sum", provider=provider, result="ok"),
                        "err": lily_metric("ai_provider_calls_total", "Sum", provider=provider, result="error"),
                    },
                    period=FIVE_MINUTES, label=f"{provider} error rate (%)"),
                threshold=AI_ERROR_RATE_PCT, comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"More than {AI_ERROR_RATE_PCT}% of calls to {provider} failed over five minutes.")

        self.business = self._business()
        self.technical = self._technical(functions, api_id)
        self.sre = self._sre(queues, [*existing_alarms, *self.alarms.values()])

    def _alarm(self, name: str, *, runbook: str, metric: cw.IMetric, threshold: float,
               comparison: cw.ComparisonOperator, description: str, periods: int = 1,
               missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING) -> cw.Alarm:
        alarm = cw.Alarm(
            self, name,
            alarm_name=f"lily-{self.config.stage}-{name}",
            alarm_description=f"{description} Runbook: {RUNBOOKS}/{runbook}.md",
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator=comparison,
            treat_missing_data=missing,
        )
        alarm.add_alarm_action(self.action)
        alarm.add_ok_action(self.action)
        self.alarms[name] = alarm
        return alarm

    def _dashboard(self, kind: str, rows: list[list[cw.IWidget]]) -> cw.Dashboard:
        dashboard = cw.Dashboard(self, f"{kind.capitalize()}Dashboard",
                                 dashboard_name=f"lily-{self.config.stage}-{kind}")
        for row in rows:
            dashboard.add_widgets(*row)
        return dashboard

    def _business(self) -> cw.Dashboard:
        def total(name: str, group: str | None = None) -> cw.MathExpression:
            return insights("SUM", name, Duration.hours(1), group=group)

        return self._dashboard("business", [
            [cw.GraphWidget(title="Signups (per hour)", width=8, left=[total("users_registered_total")]),
             cw.GraphWidget(title="Posts created and published (per hour)", width=8,
                            left=[total("publishing_posts_created_total"),
                                  total("publishing_posts_published_total", "platform")]),
             cw.GraphWidget(title="Revenue events (per hour)", width=8,
                            left=[total("billing_checkouts_total", "plan"), total("plan_changes_total", "direction"),
                                  total("stripe_webhooks_total", "status")])],
            [cw.GraphWidget(title="Plan-limit hits by feature", width=12,
                            left=[total("plan_limit_hits_total", "feature")]),
             cw.GraphWidget(title="Quota utilisation (max %) by feature", width=12,
                            left=[insights("MAX", "quota_utilization_percent", Duration.hours(1), group="feature")])],
        ])

    def _technical(self, functions: list[str], api_id: str) -> cw.Dashboard:
        rows: list[list[cw.IWidget]] = [[
            cw.GraphWidget(title="HTTP API answers", width=12, left=[
                api_metric(api_id, "Count", "Sum"), api_metric(api_id, "4xx", "Sum"),
                api_metric(api_id, "5xx", "Sum")]),
            cw.GraphWidget(title="HTTP API latency p50 / p99 (ms)", width=12, left=[
                api_metric(api_id, "Latency", "p50"), api_metric(api_id, "Latency", "p99")]),
        ]]
        widgets: list[cw.IWidget] = []
        for name in sorted(functions):
            physical = self.config.function_name(name)
            widgets.append(cw.GraphWidget(
                title=f"{name}: latency, errors, throttles", width=8,
                left=[lambda_metric(physical, "Duration", "p50"), lambda_metric(physical, "Duration", "p99")],
                right=[lambda_metric(physical, "Errors", "Sum"), lambda_metric(physical, "Throttles", "Sum")]))
        rows += [widgets[i:i + 3] for i in range(0, len(widgets), 3)]
        return self._dashboard("technical", rows)

    def _sre(self, queues: Mapping[str, tuple[str, str]], alarms: list[cw.Alarm]) -> cw.Dashboard:
        def sqs(metric: str, queue: str) -> cw.Metric:
            return cw.Metric(namespace="AWS/SQS", metric_name=metric, dimensions_map={"QueueName": queue},
                             statistic="Maximum", period=FIVE_MINUTES, label=queue)

        return self._dashboard("sre", [
            [cw.AlarmStatusWidget(title="Alarms", alarms=alarms, width=24, height=6)],
            [cw.GraphWidget(title="Queue depth", width=8, left=[sqs("ApproximateNumberOfMessagesVisible", q)
                                                                for q, _ in sorted(queues.values())]),
             cw.GraphWidget(title="Oldest message age (s)", width=8,
                            left=[sqs("ApproximateAgeOfOldestMessage", q) for q, _ in sorted(queues.values())]),
             cw.GraphWidget(title="DLQ items by queue (dlq_items_total)", width=8,
                            left=[insights("MAX", "dlq_items_total", FIVE_MINUTES, group="queue")])],
            [cw.GraphWidget(title="Publish lag p99 (s)", width=8,
                            left=[lily_metric("publish_lag_seconds", "p99", platform=p) for p in PLATFORMS]),
             cw.GraphWidget(title="Breaker transitions", width=8,
                            left=[insights("SUM", "breaker_transitions_total", FIVE_MINUTES,
                                           group='breaker, "to"')]),
             cw.GraphWidget(title="Heartbeats recorded", width=8,
                            left=[insights("SUM", "heartbeats_recorded_total", FIVE_MINUTES)])],
            [cw.GraphWidget(title="Gauge quota drift (nightly)", width=8,
                            left=[insights("MAX", "quota_gauge_drift", Duration.hours(1), group="feature")]),
             cw.GraphWidget(title="JWT key cache", width=8,
                            left=[insights("SUM", "jwt_cache_hits_total", FIVE_MINUTES, label="hits"),
                                  insights("SUM", "jwt_cache_misses_total", FIVE_MINUTES, label="misses")]),
             cw.GraphWidget(title="AI provider calls", width=8,
                            left=[insights("SUM", "ai_provider_calls_total", FIVE_MINUTES,
                                           group="provider, result")])],
        ])
