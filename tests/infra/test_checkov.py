"""Cloud posture: checkov (an IaC scanner nobody here wrote) on the synthesized templates.

Every failed check fails the suite unless ``lily_infra.posture.SUPPRESSIONS`` lists it with a reason (written
into the resource's ``Metadata.checkov.skip``). One checkov run per session, on the session's synthesis plus a
canary template that must fail, so the run is known to check something.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lily_infra.config import RESERVED_CONCURRENCY, load_config
from lily_infra.posture import SUPPRESSIONS

from tests.infra.cfn import functions_by_name, invoked_function, props, ref_id, resources

CANARY = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {"PlainLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 14}}},
}
# Measured 30-65 s (2 cores shared with other suites); a run past this is killed and the suite fails.
CHECKOV_TIMEOUT_S = 300


# its own venv (Makefile CHECKOV_VENV): checkov pins a boto3 and packaging older than Lily's
CHECKOV = Path(sys.prefix) / "checkov" / "bin" / "checkov"


@pytest.fixture(scope="session")
def checkov(synth, tmp_path_factory) -> dict:
    canary = tmp_path_factory.mktemp("checkov") / "canary.template.json"
    canary.write_text(json.dumps(CANARY))
    templates = sorted(synth.outdir.glob("*.template.json"))
    assert len(templates) == len(synth.templates)
    args = [str(CHECKOV), "--framework", "cloudformation", "--skip-download",
            "--compact", "--output", "json"]
    for path in [*templates, canary]:
        args += ["--file", str(path)]
    started = time.monotonic()
    run = subprocess.run(args, capture_output=True, text=True, timeout=CHECKOV_TIMEOUT_S, check=False)
    elapsed = time.monotonic() - started
    assert run.returncode in (0, 1), run.stderr[-2000:]
    report = json.loads(run.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["check_type"] == "cloudformation"
    return {**report, "elapsed_s": elapsed}


def _in_canary(check: dict) -> bool:
    return check["file_path"].endswith("canary.template.json")


def test_checkov_finds_no_unsuppressed_failure(checkov):
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path'].lstrip('/')}): {c['check_name']}"
              for c in checkov["results"]["failed_checks"] if not _in_canary(c)]
    assert failed == [], "fix these in infra/lily_infra, or list them with a reason in posture.SUPPRESSIONS:\n" + \
        "\n".join(failed)


def test_checkov_checked_the_app_and_caught_the_canary(checkov, record_property):
    # The canary's unencrypted log group is reported: the run checks what it should
    canary = {c["check_id"] for c in checkov["results"]["failed_checks"] if _in_canary(c)}
    assert "CKV_AWS_158" in canary
    passed = [c for c in checkov["results"]["passed_checks"] if not _in_canary(c)]
    assert len(passed) > 500 and checkov["summary"]["parsing_errors"] == 0
    record_property("checkov_seconds", round(checkov["elapsed_s"], 1))  # a measurement, not a pass/fail timing


def test_every_skipped_check_is_a_listed_suppression_and_every_suppression_is_used(checkov):
    reasons = {s.check_id: s.reason for s in SUPPRESSIONS}
    assert len(reasons) == len(SUPPRESSIONS), "one entry per check id"
    skipped = checkov["results"]["skipped_checks"]
    foreign = [f"{c['check_id']} {c['resource']}" for c in skipped
               if reasons.get(c["check_id"]) != c["check_result"].get("suppress_comment")]
    assert foreign == [], "skips that do not come from posture.SUPPRESSIONS"
    assert {c["check_id"] for c in skipped} == set(reasons), "a suppression nothing needs any more: delete it"
    for s in SUPPRESSIONS:
        assert len(s.reason) >= 80, f"{s.check_id}: say why"


def test_log_groups_are_encrypted_with_the_logs_key(synth):
    logs_key = [k for k, r in resources(synth.stateful, "AWS::KMS::Alias").items()
                if props(r)["AliasName"] == synth.config.logs_key_alias]
    assert logs_key
    groups = {**resources(synth.service, "AWS::Logs::LogGroup"), **resources(synth.functions, "AWS::Logs::LogGroup")}
    assert len(resources(synth.service, "AWS::Logs::LogGroup")) == 1  # the API's access logs
    assert len(groups) == len(resources(synth.functions, "AWS::Lambda::Function")) + 1
    for logical_id, group in groups.items():
        assert "Fn::ImportValue" in props(group).get("KmsKeyId", {}), logical_id


def test_scheduled_functions_send_failed_runs_to_an_alarmed_dead_letter_queue(synth, specs):
    functions = functions_by_name(synth.functions)
    queues = resources(synth.functions, "AWS::SQS::Queue")
    alarms = [props(a) for a in resources(synth.service, "AWS::CloudWatch::Alarm").values()]
    invoke_configs = resources(synth.functions, "AWS::Lambda::EventInvokeConfig")
    aliases = resources(synth.functions, "AWS::Lambda::Alias")
    scheduled = [s for s in specs if s.trigger.kind == "schedule"]
    assert scheduled
    for spec in scheduled:
        fn_id, fn = functions[synth.config.function_name(spec.name)]
        # Given a function EventBridge invokes asynchronously, a run that keeps failing lands in its own queue
        queue_id = ref_id(props(fn)["DeadLetterConfig"]["TargetArn"])
        queue = props(queues[queue_id])
        assert queue["QueueName"] == synth.config.failed_runs_queue_name(spec.name)
        assert "KmsMasterKeyId" in queue
        # after two retries, within an hour, on the alias the schedule invokes
        config = [props(c) for c in invoke_configs.values() if ref_id(props(c)["FunctionName"]) == fn_id]
        assert config and config[0]["MaximumRetryAttempts"] == 2 and config[0]["MaximumEventAgeInSeconds"] == 3600
        assert ref_id(config[0]["Qualifier"]["Fn::Select"][1]["Fn::Split"][1]) in aliases, spec.name
        # and one message in it raises an alarm
        assert any(a["MetricName"] == "ApproximateNumberOfMessagesVisible" and a["Threshold"] == 1
                   and {"Name": "QueueName", "Value": queue["QueueName"]} in a["Dimensions"] for a in alarms), spec.name


def test_queue_and_scheduled_functions_have_reserved_concurrency_the_publisher_its_stage_value(synth, specs):
    functions = functions_by_name(synth.functions)
    mappings = {invoked_function(synth.functions, props(m)["FunctionName"]): props(m)
                for m in resources(synth.functions, "AWS::Lambda::EventSourceMapping").values()}
    for spec in specs:
        fn_id, fn = functions[synth.config.function_name(spec.name)]
        reserved = props(fn).get("ReservedConcurrentExecutions")
        if spec.trigger.kind == "http":
            assert reserved is None, spec.name  # bounded by the API's throttle (posture.SUPPRESSIONS says why)
            continue
        assert reserved == synth.config.reserved_concurrency_of(spec.name, spec.trigger.kind,
                                                                spec.reserved_concurrency), spec.name
        if spec.trigger.kind == "queue":
            assert mappings[fn_id]["ScalingConfig"]["MaximumConcurrency"] == reserved, spec.name
    publisher = props(functions[synth.config.function_name("publisher")][1])
    declared = next(s for s in specs if s.name == "publisher").reserved_concurrency
    assert declared and publisher["ReservedConcurrentExecutions"] == declared


def test_reserved_concurrency_is_a_stage_value():
    cfg = load_config({"reserved_concurrency": '{"publisher": 25, "publishing": 50}'}, environ={})
    assert cfg.reserved_concurrency_of("publisher", "queue", 10) == 25
    assert load_config({}, environ={}).reserved_concurrency_of("publisher", "queue", 10) == 10
    assert cfg.reserved_concurrency_of("publishing", "http") == 50
    assert cfg.reserved_concurrency_of("billing_worker", "queue") == RESERVED_CONCURRENCY["queue"]
    assert cfg.reserved_concurrency_of("auth", "http") is None
    for bad in ('{"publisher": 0}', '["publisher"]', '{"publisher": "many"}'):
        with pytest.raises(ValueError, match="reserved_concurrency"):
            load_config({"reserved_concurrency": bad}, environ={})
