"""Every declaration is wired: functions, routes, schedules, queues with DLQs and alarms, buckets, keys."""

from __future__ import annotations

import json

import pytest

from lily.core.functions import Http, Queue, Schedule, queues
from lily.core.resources import BUCKETS, SECRETS
from tests.infra.cfn import as_list, functions_by_name, invoked_function, props, ref_id, resolve_import, resources


@pytest.fixture(scope="module")
def functions(synth):
    return functions_by_name(synth.service)


def _fn(synth, functions, spec):
    name = synth.config.function_name(spec.name)
    assert name in functions, f"no Lambda for {spec.name}"
    return functions[name]


def _stateful_resource(synth, value) -> dict:
    imported = resolve_import(synth.templates, value)
    assert imported, value
    stack, logical_id = imported
    return synth.templates[stack]["Resources"][logical_id]


def test_stacks_stay_well_under_the_cloudformation_resource_limit(synth):
    # CloudFormation refuses stacks over 500 resources; split the service stack before it gets close.
    for name, template in synth.templates.items():
        assert len(template["Resources"]) < 450, f"{name}: {len(template['Resources'])} resources"


# -- functions --

def test_one_function_per_declaration_and_nothing_else(synth, specs, functions):
    assert sorted(functions) == sorted(synth.config.function_name(s.name) for s in specs)


def test_functions_run_python_3_14_on_arm64_with_the_shared_layer(synth, specs, functions):
    layers = list(resources(synth.service, "AWS::Lambda::LayerVersion"))
    assert len(layers) == 1
    layer = resources(synth.service, "AWS::Lambda::LayerVersion")[layers[0]]
    assert props(layer)["CompatibleRuntimes"] == ["python3.14"]
    assert props(layer)["CompatibleArchitectures"] == ["arm64"]
    for spec in specs:
        _, fn = _fn(synth, functions, spec)
        p = props(fn)
        assert p["Runtime"] == "python3.14", spec.name
        assert p["Architectures"] == ["arm64"], spec.name
        assert p["Handler"] == spec.handler, spec.name
        assert p["MemorySize"] == spec.memory_mb and p["Timeout"] == spec.timeout_s, spec.name
        assert [ref_id(x) for x in p["Layers"]] == layers, spec.name
        assert p["TracingConfig"] == {"Mode": "Active"}, spec.name


def test_functions_get_the_deployment_environment(synth, specs, functions):
    cfg = synth.config
    for spec in specs:
        env = props(_fn(synth, functions, spec)[1])["Environment"]["Variables"]
        assert env["LILY_STAGE"] == cfg.stage
        assert env["LILY_RESOURCE_PREFIX"] == cfg.prefix == f"lily-{cfg.stage}-"
        assert env["LILY_FUNCTION_COUNT"] == str(len(specs))
        assert env["LILY_OFFLINE"] == "false"
        assert env["LILY_LOG_LEVEL"] == env["POWERTOOLS_LOG_LEVEL"] == "INFO"
        assert json.loads(env["LILY_CORS_ORIGINS"]) == list(cfg.cors_origins)
        assert env["POWERTOOLS_SERVICE_NAME"] == "lily" and env["POWERTOOLS_METRICS_NAMESPACE"] == "Lily"
        assert env["LILY_VERSION"] and env["LILY_PUBLIC_BASE_URL"]
        key = _stateful_resource(synth, env["LILY_KMS_KEY_ID"])
        assert key["Type"] == "AWS::KMS::Key" and "envelope" in props(key)["Description"]
        if "media" in BUCKETS:
            media = [b for b in resources(synth.stateful, "AWS::S3::Bucket").values()
                     if props(b).get("BucketName") == env["LILY_MEDIA_BUCKET"]]
            assert len(media) == 1, spec.name
        for k, v in spec.environment.items():
            assert env[k] == v, spec.name


def test_every_function_has_its_own_log_group_with_retention(synth, specs, functions):
    groups = resources(synth.service, "AWS::Logs::LogGroup")
    used = set()
    for spec in specs:
        group_id = ref_id(props(_fn(synth, functions, spec)[1])["LoggingConfig"]["LogGroup"])
        group = props(groups[group_id])
        assert group["LogGroupName"] == f"/aws/lambda/{synth.config.function_name(spec.name)}"
        assert group["RetentionInDays"] > 0
        used.add(group_id)
    assert len(used) == len(specs)


# -- HTTP --

def test_every_http_prefix_has_both_routes_to_its_function(synth, specs, functions):
    routes = {props(r)["RouteKey"]: props(r) for r in resources(synth.service, "AWS::ApiGatewayV2::Route").values()}
    integrations = resources(synth.service, "AWS::ApiGatewayV2::Integration")
    expected = set()
    for spec in specs:
        if not isinstance(spec.trigger, Http):
            continue
        fn_id, _ = _fn(synth, functions, spec)
        for prefix in spec.trigger.prefixes:
            for key in (f"ANY {prefix}", f"ANY {prefix}/{{proxy+}}"):
                expected.add(key)
                assert key in routes, f"{spec.name}: missing route {key}"
                target = routes[key]["Target"]["Fn::Join"][1]
                integration = props(integrations[ref_id(target[1])])
                assert integration["IntegrationType"] == "AWS_PROXY"
                assert integration["PayloadFormatVersion"] == "2.0"
                assert invoked_function(synth.service, integration["IntegrationUri"]) == fn_id, \
                    f"{key} goes to another function"
    assert set(routes) == expected, "routes without a declaration"


def test_the_api_stage_logs_access_and_throttles(synth):
    stages = list(resources(synth.service, "AWS::ApiGatewayV2::Stage").values())
    assert len(stages) == 1
    stage = props(stages[0])
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True
    log = stage["AccessLogSettings"]
    assert ref_id(log["DestinationArn"]) in resources(synth.service, "AWS::Logs::LogGroup")
    assert set(json.loads(log["Format"])) >= {"requestId", "ip", "routeKey", "status", "latencyMs"}
    throttle = stage["DefaultRouteSettings"]
    assert throttle["ThrottlingRateLimit"] == synth.config.api_rate_limit
    assert throttle["ThrottlingBurstLimit"] == synth.config.api_burst_limit


# -- schedules --

def test_every_schedule_has_a_rule_targeting_its_function(synth, specs, functions):
    rules = list(resources(synth.service, "AWS::Events::Rule").values())
    scheduled = [s for s in specs if isinstance(s.trigger, Schedule)]
    assert len(rules) == len(scheduled)
    for spec in scheduled:
        fn_id, _ = _fn(synth, functions, spec)
        matching = [r for r in rules if props(r)["ScheduleExpression"] == spec.trigger.expression
                    and any(invoked_function(synth.service, t["Arn"]) == fn_id for t in props(r)["Targets"])]
        assert len(matching) == 1, spec.name
        assert props(matching[0])["State"] == "ENABLED"


# -- queues --

def test_every_queue_function_consumes_its_queue_reporting_batch_item_failures(synth, specs, functions):
    mappings = list(resources(synth.service, "AWS::Lambda::EventSourceMapping").values())
    consumers = [s for s in specs if isinstance(s.trigger, Queue)]
    assert len(mappings) == len(consumers)
    for spec in consumers:
        fn_id, _ = _fn(synth, functions, spec)
        mine = [props(m) for m in mappings if invoked_function(synth.service, props(m)["FunctionName"]) == fn_id]
        assert len(mine) == 1, spec.name
        m = mine[0]
        assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"], spec.name
        assert m["BatchSize"] == spec.trigger.batch_size, spec.name
        assert m.get("MaximumBatchingWindowInSeconds", 0) == spec.trigger.max_batching_window_s, spec.name
        queue = props(_stateful_resource(synth, m["EventSourceArn"]))
        assert queue["QueueName"] == synth.config.queue_name(spec.trigger.queue)


def _queues_by_name(synth) -> dict[str, tuple[str, dict]]:
    return {props(q)["QueueName"]: (k, props(q)) for k, q in resources(synth.stateful, "AWS::SQS::Queue").items()}


def test_every_queue_has_a_dlq_redrive_visibility_and_encryption(synth):
    by_name = _queues_by_name(synth)
    declared = queues()
    assert len(by_name) == 2 * len(declared), "only declared queues and their DLQs"
    for short, spec in declared:
        logical_id, queue = by_name[synth.config.queue_name(short)]
        redrive = queue["RedrivePolicy"]
        assert redrive["maxReceiveCount"] == spec.trigger.max_receive_count, short
        dlq_id, dlq = by_name[synth.config.dlq_name(short)]
        assert ref_id(redrive["deadLetterTargetArn"]) == dlq_id, short
        assert queue["VisibilityTimeout"] == spec.visibility_timeout_s, short
        assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"], short
        for q in (queue, dlq):
            assert "KmsMasterKeyId" in q, short


def test_every_queue_denies_requests_without_tls(synth):
    policies = [props(p) for p in resources(synth.stateful, "AWS::SQS::QueuePolicy").values()]
    protected = set()
    for p in policies:
        for st in as_list(p["PolicyDocument"]["Statement"]):
            if st["Effect"] == "Deny" and st.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}:
                protected |= {ref_id(q) for q in p["Queues"]}
    assert protected == set(resources(synth.stateful, "AWS::SQS::Queue"))


def _alarm_metrics(alarm: dict) -> list[dict]:
    """The metrics an alarm watches, in either of the two shapes CloudFormation accepts."""
    if "MetricName" in alarm:
        return [alarm]
    return [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]


def test_every_dlq_has_a_depth_alarm_that_notifies(synth):
    alarms = [props(a) for a in resources(synth.observability, "AWS::CloudWatch::Alarm").values()]
    for short, spec in queues():
        dlq = synth.config.dlq_name(short)
        matching = [a for a in alarms if any(
            m.get("Namespace") == "AWS/SQS" and m.get("MetricName") == "ApproximateNumberOfMessagesVisible"
            and {"Name": "QueueName", "Value": dlq} in m.get("Dimensions", []) for m in _alarm_metrics(a))]
        assert len(matching) == 1, f"no alarm on {dlq}"
        alarm = matching[0]
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["AlarmActions"], dlq


def test_every_function_has_an_error_rate_alarm(synth, specs, functions):
    # the alarms live in the observability stack and name each function by its physical name
    alarms = [props(a) for a in resources(synth.observability, "AWS::CloudWatch::Alarm").values()]
    for spec in specs:
        fn_id, fn = _fn(synth, functions, spec)
        assert props(fn)["FunctionName"] == synth.config.function_name(spec.name)
        matching = []
        for a in alarms:
            stats = _alarm_metrics(a)
            names = {s["MetricName"] for s in stats
                     if {"Name": "FunctionName", "Value": synth.config.function_name(spec.name)}
                     in s.get("Dimensions", [])}
            if names == {"Errors", "Invocations"}:
                matching.append(a)
        assert len(matching) == 1, spec.name
        assert matching[0]["AlarmActions"], spec.name


def test_alarms_notify_an_encrypted_topic_and_a_dashboard_exists(synth):
    # alarms, topic and dashboards are in the observability stack (the service stack keeps none: resource limit)
    assert not resources(synth.service, "AWS::CloudWatch::Alarm") and not resources(synth.service, "AWS::SNS::Topic")
    topics = resources(synth.observability, "AWS::SNS::Topic")
    assert len(topics) == 1
    topic_id, topic = next(iter(topics.items()))
    assert "KmsMasterKeyId" in props(topic)
    for a in resources(synth.observability, "AWS::CloudWatch::Alarm").values():
        assert [ref_id(x) for x in props(a)["AlarmActions"]] == [topic_id]
    # the overview, and the business, technical and SRE dashboards (test_operations)
    assert len(resources(synth.observability, "AWS::CloudWatch::Dashboard")) == 4


# -- buckets, secrets, keys --

def test_buckets_are_private_encrypted_versioned_tls_only_and_logged(synth):
    buckets = resources(synth.stateful, "AWS::S3::Bucket")
    data = {k: props(b) for k, b in buckets.items() if "LoggingConfiguration" in props(b)}
    assert len(data) == len(BUCKETS)
    for logical_id, b in data.items():
        sse = b["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
        assert sse["SSEAlgorithm"] == "aws:kms", logical_id
        assert b["VersioningConfiguration"] == {"Status": "Enabled"}, logical_id
        assert all(b["PublicAccessBlockConfiguration"].values()), logical_id
        assert ref_id(b["LoggingConfiguration"]["DestinationBucketName"]) in buckets, logical_id
    policies = [props(p) for p in resources(synth.stateful, "AWS::S3::BucketPolicy").values()]
    tls_only = {ref_id(p["Bucket"]) for p in policies
                for st in as_list(p["PolicyDocument"]["Statement"])
                if st["Effect"] == "Deny" and st.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}}
    assert tls_only == set(buckets)


def test_every_declared_secret_exists_under_its_name(synth):
    names = {props(s)["Name"] for s in resources(synth.stateful, "AWS::SecretsManager::Secret").values()}
    assert names == {synth.config.secret_name(short) for short in SECRETS}


def test_keys_rotate_and_the_data_key_has_its_alias(synth):
    for logical_id, key in {**resources(synth.stateful, "AWS::KMS::Key"),
                            **resources(synth.service, "AWS::KMS::Key")}.items():
        assert props(key)["EnableKeyRotation"] is True, logical_id
    aliases = {props(a)["AliasName"] for a in resources(synth.stateful, "AWS::KMS::Alias").values()}
    assert f"alias/lily-{synth.config.stage}-data" in aliases
