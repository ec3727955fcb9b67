"""Every declaration is wired: functions, routes, schedules, queues with DLQs and alarms, buckets, keys."""

from __future__ import annotations

import json

import pytest

from lily.core.functions import Http, Queue, Schedule, queues
from lily.core.resources import BUCKETS, SECRETS
from tests.infra.cfn import as_list, functions_by_name, invoked_function, props, ref_id, resolve_import, resources


@pytest.fixture(scope="module")
def functions(synth):
    return functions_by_name(synth.functions)


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
    # CloudFormation refuses stacks over 500 resources: every stack of the app, the function stacks included.
    from lily_infra.function_stacks import FUNCTION_STACKS

    assert len(synth.function_stacks) == FUNCTION_STACKS
    assert set(synth.templates) == {s.stack_name for s in synth.lily.stacks}
    for name, template in synth.templates.items():
        assert len(template["Resources"]) < 450, f"{name}: {len(template['Resources'])} resources"


def test_the_budget_check_refuses_a_stack_past_it(synth):
    from lily_infra.function_stacks import check_budget, resource_count

    counts = {s.stack_name: resource_count(s) for s in synth.lily.stacks}
    # the construct-tree count is what the template holds: the check sees what CloudFormation will
    assert counts == {name: len(t["Resources"]) for name, t in synth.templates.items()}
    biggest = max(synth.lily.stacks, key=resource_count)
    check_budget(synth.lily.stacks)
    with pytest.raises(ValueError, match="FUNCTION_STACKS"):
        check_budget(synth.lily.stacks, budget=resource_count(biggest) - 1)


def test_each_function_is_in_the_function_stack_of_its_capability(synth, specs):
    from lily_infra.function_stacks import FUNCTION_STACKS, capability, stack_index, stack_kind

    placed = {}
    for stack in synth.lily.function_stacks:
        names = functions_by_name(synth.templates[stack.stack_name])
        for spec in specs:
            if synth.config.function_name(spec.name) in names:
                assert spec.name not in placed, f"{spec.name} in two stacks"
                placed[spec.name] = stack.stack_name
    assert sorted(placed) == sorted(s.name for s in specs)
    for name, stack_name in placed.items():
        assert stack_name == synth.config.stack_name(stack_kind(stack_index(name))), name
    # a capability's functions share a stack, and the index is stable (CRC-32, not Python's salted hash)
    assert capability("research_worker") == capability("research_schedule") == "research"
    assert stack_index("research") == stack_index("research_worker")
    assert {stack_index(f"x{i}") for i in range(200)} == set(range(1, FUNCTION_STACKS + 1))
    assert stack_index("auth", 4) == 2 and stack_index("publisher", 4) == 3  # zlib.crc32: same on every machine


def test_function_stacks_import_from_the_stateful_and_service_stacks_only(synth):
    # Nothing imports from a function stack: removing or moving a function never hits a used export.
    exporters = {stack for stack, t in synth.templates.items()
                 for o in t.get("Outputs", {}).values() if "Export" in o}
    assert exporters <= {synth.lily.stateful.stack_name, synth.lily.service.stack_name}, exporters
    for artifact in synth.assembly.stacks:
        if artifact.stack_name in synth.function_stacks:
            stacks = {d.id for d in artifact.dependencies} & set(synth.templates)  # not the asset manifests
            assert stacks == {synth.lily.stateful.artifact_id, synth.lily.service.artifact_id}, artifact.stack_name


# -- functions --

def test_one_function_per_declaration_and_nothing_else(synth, specs, functions):
    assert sorted(functions) == sorted(synth.config.function_name(s.name) for s in specs)


def test_functions_run_python_3_14_on_arm64_with_the_shared_layer(synth, specs, functions):
    assert not resources(synth.service, "AWS::Lambda::LayerVersion")
    copies = []
    for name, template in synth.function_stacks.items():
        # each function stack has one copy of the layer (an exported layer version could never be replaced)
        (layer_id, layer), = resources(template, "AWS::Lambda::LayerVersion").items()
        assert props(layer)["CompatibleRuntimes"] == ["python3.14"]
        assert props(layer)["CompatibleArchitectures"] == ["arm64"]
        copies.append(layer)
        for _fn_id, fn in resources(template, "AWS::Lambda::Function").items():
            assert [ref_id(x) for x in props(fn)["Layers"]] == [layer_id], name
    assert all(c == copies[0] for c in copies), "the same layer asset in every function stack"
    for spec in specs:
        _, fn = _fn(synth, functions, spec)
        p = props(fn)
        assert p["Runtime"] == "python3.14", spec.name
        assert p["Architectures"] == ["arm64"], spec.name
        assert p["Handler"] == spec.handler, spec.name
        assert p["MemorySize"] == spec.memory_mb and p["Timeout"] == spec.timeout_s, spec.name
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
    groups = resources(synth.functions, "AWS::Logs::LogGroup")
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
    routes = {props(r)["RouteKey"]: props(r) for r in resources(synth.functions, "AWS::ApiGatewayV2::Route").values()}
    integrations = resources(synth.functions, "AWS::ApiGatewayV2::Integration")
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
                assert invoked_function(synth.functions, integration["IntegrationUri"]) == fn_id, \
                    f"{key} goes to another function"
                api = _stateful_resource(synth, routes[key]["ApiId"])  # the service stack's API, imported
                assert api["Type"] == "AWS::ApiGatewayV2::Api"
    assert set(routes) == expected, "routes without a declaration"
    assert not resources(synth.service, "AWS::ApiGatewayV2::Route"), "routes live beside their function"


def test_one_invoke_permission_per_http_function_for_the_whole_api(synth, specs, functions):
    permissions = [props(p) for p in resources(synth.functions, "AWS::Lambda::Permission").values()
                   if p["Properties"]["Principal"] == "apigateway.amazonaws.com"]
    http = [s for s in specs if isinstance(s.trigger, Http)]
    assert len(permissions) == len(http)
    for spec in http:
        fn_id, _ = _fn(synth, functions, spec)
        (mine,) = [p for p in permissions if invoked_function(synth.functions, p["FunctionName"]) == fn_id]
        assert mine["Action"] == "lambda:InvokeFunction"
        # arn:<partition>:execute-api:<region>:<account>:<this API's id>/*/*/* (any stage, method, path)
        parts = mine["SourceArn"]["Fn::Join"][1]
        assert "".join(p for p in parts if isinstance(p, str)).endswith("/*/*/*"), spec.name
        api_refs = [p for p in parts if isinstance(p, dict) and "Fn::ImportValue" in p]
        assert len(api_refs) == 1 and _stateful_resource(synth, api_refs[0])["Type"] == "AWS::ApiGatewayV2::Api"


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
    rules = list(resources(synth.functions, "AWS::Events::Rule").values())
    scheduled = [s for s in specs if isinstance(s.trigger, Schedule)]
    assert len(rules) == len(scheduled)
    for spec in scheduled:
        fn_id, _ = _fn(synth, functions, spec)
        matching = [r for r in rules if props(r)["ScheduleExpression"] == spec.trigger.expression
                    and any(invoked_function(synth.functions, t["Arn"]) == fn_id for t in props(r)["Targets"])]
        assert len(matching) == 1, spec.name
        assert props(matching[0])["State"] == "ENABLED"


# -- queues --

def test_every_queue_function_consumes_its_queue_reporting_batch_item_failures(synth, specs, functions):
    mappings = list(resources(synth.functions, "AWS::Lambda::EventSourceMapping").values())
    consumers = [s for s in specs if isinstance(s.trigger, Queue)]
    assert len(mappings) == len(consumers)
    for spec in consumers:
        fn_id, _ = _fn(synth, functions, spec)
        mine = [props(m) for m in mappings if invoked_function(synth.functions, props(m)["FunctionName"]) == fn_id]
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
    alarms = [props(a) for a in resources(synth.service, "AWS::CloudWatch::Alarm").values()]
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
    # the alarms name each function by its physical name (the function is in another stack)
    alarms = [props(a) for a in resources(synth.service, "AWS::CloudWatch::Alarm").values()]
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
    topics = resources(synth.service, "AWS::SNS::Topic")
    assert len(topics) == 1
    topic_id, topic = next(iter(topics.items()))
    assert "KmsMasterKeyId" in props(topic)
    for a in resources(synth.service, "AWS::CloudWatch::Alarm").values():
        assert [ref_id(x) for x in props(a)["AlarmActions"]] == [topic_id]
    # the overview (Monitoring) and the business, technical and SRE dashboards (lily_infra.operations)
    assert len(resources(synth.service, "AWS::CloudWatch::Dashboard")) == 4


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
