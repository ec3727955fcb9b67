"""SnapStart on every function's published version, every trigger on its ``live`` alias, no capture in traces."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from lily_infra.bundling import ARCHITECTURE, RUNTIME
from lily_infra.config import load_config
from lily_infra.functions import LIVE_ALIAS

from lily.core.functions import Http, Queue, Schedule
from tests.infra.cfn import functions_by_name, invoked_target, props, ref_id, resources


def _aliases(synth) -> dict[str, tuple[str, dict]]:
    """function logical id -> (alias logical id, alias properties)"""
    return {ref_id(props(a)["FunctionName"]): (k, props(a))
            for k, a in resources(synth.functions, "AWS::Lambda::Alias").items()}


def test_the_runtime_and_architecture_support_snapstart():
    # Lambda SnapStart: Python 3.12 and later managed runtimes, arm64 and x86_64 (CDK checks the runtime)
    assert RUNTIME.supports_snap_start and ARCHITECTURE.name == "arm64"


def test_every_function_snapshots_its_published_version_behind_the_live_alias(synth, specs):
    functions = functions_by_name(synth.functions)
    versions = resources(synth.functions, "AWS::Lambda::Version")
    aliases = _aliases(synth)
    for spec in specs:
        fn_id, fn = functions[synth.config.function_name(spec.name)]
        assert props(fn)["SnapStart"] == {"ApplyOn": "PublishedVersions"}, spec.name
        alias_id, alias = aliases[fn_id]
        assert alias["Name"] == LIVE_ALIAS, spec.name
        version_id = alias["FunctionVersion"]["Fn::GetAtt"][0]
        assert ref_id(props(versions[version_id])["FunctionName"]) == fn_id, spec.name
        # a replaced version is deleted, so old snapshots are not kept (and billed)
        assert versions[version_id]["DeletionPolicy"] == "Delete", spec.name


def test_every_trigger_invokes_the_alias_never_the_unpublished_function(synth, specs):
    aliases = {alias_id for alias_id, _ in _aliases(synth).values()}
    template = synth.functions
    integrations = [props(i)["IntegrationUri"] for i in resources(template, "AWS::ApiGatewayV2::Integration").values()]
    mappings = [props(m)["FunctionName"] for m in resources(template, "AWS::Lambda::EventSourceMapping").values()]
    targets = [t["Arn"] for r in resources(template, "AWS::Events::Rule").values() for t in props(r)["Targets"]]
    assert len(integrations) == sum(isinstance(s.trigger, Http) for s in specs)
    assert len(mappings) == sum(isinstance(s.trigger, Queue) for s in specs)
    assert len(targets) == sum(isinstance(s.trigger, Schedule) for s in specs)
    for value in [*integrations, *mappings, *targets]:
        assert invoked_target(template, value) in aliases, value
    permissions = [props(p) for p in resources(template, "AWS::Lambda::Permission").values()]
    assert permissions and all(invoked_target(template, p["FunctionName"]) in aliases for p in permissions)


def test_no_function_records_responses_or_errors_in_traces(synth, specs):
    for _, fn in functions_by_name(synth.functions).values():
        p = props(fn)
        env = p["Environment"]["Variables"]
        assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false", p["FunctionName"]
        assert env["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false", p["FunctionName"]
        assert p["TracingConfig"] == {"Mode": "Active"}, p["FunctionName"]  # tracing stays on


def test_snapstart_can_be_switched_off_by_context():
    assert load_config({}, environ={}).snap_start is True
    assert load_config({"snap_start": "false"}, environ={}).snap_start is False
    assert lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS is not None
