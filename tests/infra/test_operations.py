"""The SLO alarms and the business, technical and SRE dashboards in the synthesized service stack
(``lily_infra.operations``): each alarm present with its threshold, comparison and metric, naming its runbook, and
each runbook it names exists (docs/runbooks/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lily.core.functions import Http
from tests.infra.cfn import props, resources

ROOT = Path(__file__).resolve().parents[2]


def _alarms(synth) -> dict[str, dict]:
    """Every alarm of the deployment (all in the service stack, beside the HTTP API)."""
    prefix = f"lily-{synth.config.stage}-"
    return {props(a)["AlarmName"][len(prefix):]: props(a)
            for a in resources(synth.service, "AWS::CloudWatch::Alarm").values()}


def _metric(alarm: dict) -> dict:
    """The one metric an alarm watches with its statistic and period, in either shape CloudFormation accepts."""
    if "MetricName" in alarm:
        return {**alarm, "Stat": alarm.get("ExtendedStatistic") or alarm.get("Statistic")}
    (query,) = [m for m in alarm["Metrics"] if "MetricStat" in m]
    return {**query["MetricStat"]["Metric"], "Stat": query["MetricStat"]["Stat"],
            "Period": query["MetricStat"]["Period"]}


def _expressions(alarm: dict) -> str:
    return json.dumps(alarm.get("Metrics", []))


def test_plan_limit_hits_over_five_a_minute(synth):
    alarm = _alarms(synth)["plan-limit-hits"]
    assert alarm["Threshold"] == 5 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    query = next(m for m in alarm["Metrics"] if "Expression" in m)
    assert query["Expression"] == 'SELECT SUM(plan_limit_hits_total) FROM "Lily"' and query["Period"] == 60


def test_any_dead_letter_message_alarms(synth, specs):
    alarms = _alarms(synth)
    assert alarms["dlq-backlog"]["Threshold"] == 0
    assert alarms["dlq-backlog"]["ComparisonOperator"] == "GreaterThanThreshold"
    assert "MAX(dlq_items_total)" in _expressions(alarms["dlq-backlog"])
    for queue in {s.trigger.queue for s in specs if s.trigger.kind == "queue"}:  # and one per DLQ (Monitoring)
        assert alarms[f"{queue}-dlq-depth"]["Threshold"] == 1


def test_api_5xx_rate_over_one_percent_in_five_minutes(synth):
    alarm = _alarms(synth)["api-5xx-rate"]
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    assert metrics["errors"]["MetricStat"]["Metric"]["MetricName"] == "5xx"
    assert metrics["requests"]["MetricStat"]["Metric"]["MetricName"] == "Count"
    assert metrics["errors"]["MetricStat"]["Period"] == metrics["requests"]["MetricStat"]["Period"] == 300


def test_p99_latency_alarm_per_api_function(synth, specs):
    alarms = _alarms(synth)
    for spec in specs:
        if not isinstance(spec.trigger, Http):
            assert f"{spec.name}-latency-p99" not in alarms
            continue
        alarm = alarms[f"{spec.name}-latency-p99"]
        metric = _metric(alarm)
        assert metric["MetricName"] == "Duration" and metric["Stat"] == "p99" and metric["Period"] == 300
        assert metric["Dimensions"] == [{"Name": "FunctionName", "Value": synth.config.function_name(spec.name)}]
        assert alarm["EvaluationPeriods"] == 3 and alarm["Threshold"] >= 1000


def test_publish_lag_p99_over_two_minutes_per_platform(synth):
    alarms = _alarms(synth)
    for platform in ("x", "facebook", "instagram", "linkedin"):
        alarm = alarms[f"publish-lag-p99-{platform}"]
        metric = _metric(alarm)
        assert metric["MetricName"] == "publish_lag_seconds" and metric["Namespace"] == "Lily"
        assert metric["Stat"] == "p99" and alarm["Threshold"] == 120
        assert {"Name": "platform", "Value": platform} in metric["Dimensions"]
        assert {"Name": "service", "Value": "lily"} in metric["Dimensions"]  # Powertools adds it to every metric


def test_no_heartbeat_for_fifteen_minutes(synth):
    alarm = _alarms(synth)["heartbeat-missing"]
    assert alarm["ComparisonOperator"] == "LessThanThreshold" and alarm["Threshold"] == 1
    assert alarm["TreatMissingData"] == "breaching"  # silence is the failure
    assert "SUM(heartbeats_recorded_total)" in _expressions(alarm) and alarm["Metrics"][0]["Period"] == 900


@pytest.mark.parametrize("provider", ["openai", "xai"])
def test_ai_provider_error_rate(synth, provider):
    alarm = _alarms(synth)[f"ai-error-rate-{provider}"]
    assert alarm["Threshold"] == 10 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    dims = [m["MetricStat"]["Metric"]["Dimensions"] for m in alarm["Metrics"] if "MetricStat" in m]
    assert {"Name": "provider", "Value": provider} in dims[0]
    assert sorted(d["Value"] for ds in dims for d in ds if d["Name"] == "result") == ["error", "ok"]


def test_every_alarm_notifies_and_names_an_existing_runbook(synth):
    named = set()
    for name, alarm in _alarms(synth).items():
        assert alarm["AlarmActions"] and alarm["OKActions"], name
        description = alarm.get("AlarmDescription", "")
        if "Runbook: " in description:
            path = description.split("Runbook: ", 1)[1].split()[0]
            assert (ROOT / path).is_file(), f"{name} names {path}, which does not exist"
            named.add(path)
    assert len(named) >= 5


def test_three_dashboards_business_technical_sre(synth, specs):
    dashboards = {props(d)["DashboardName"]: json.dumps(props(d)["DashboardBody"])
                  for d in resources(synth.service, "AWS::CloudWatch::Dashboard").values()}
    stage = synth.config.stage
    business, technical, sre = (dashboards[f"lily-{stage}-{k}"] for k in ("business", "technical", "sre"))
    for metric in ("users_registered_total", "publishing_posts_created_total", "publishing_posts_published_total",
                   "billing_checkouts_total", "plan_changes_total", "quota_utilization_percent"):
        assert metric in business, metric
    for spec in specs:  # latency, errors and throttles of every function
        assert f"{spec.name}: latency, errors, throttles" in technical, spec.name
    assert "Throttles" in technical and "p99" in technical
    for metric in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "dlq_items_total",
                   "publish_lag_seconds", "breaker_transitions_total", "heartbeats_recorded_total"):
        assert metric in sre, metric


def test_the_sre_dashboard_shows_every_alarm(synth):
    sre = json.dumps(next(props(d)["DashboardBody"] for d in resources(synth.service,
                                                                         "AWS::CloudWatch::Dashboard").values()
                          if props(d)["DashboardName"].endswith("-sre")))
    for logical_id in resources(synth.service, "AWS::CloudWatch::Alarm"):
        assert f'"{logical_id}"' in sre, logical_id
