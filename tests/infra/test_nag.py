"""cdk-nag (AwsSolutions) finds nothing unacknowledged, and every acknowledgment says why."""

from __future__ import annotations

import re

from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs

from tests.infra.cfn import nag_acknowledgments


def _violations(report: dict, plugin: str = "AwsSolutions") -> list[str]:
    lines = []
    for plugin_report in report["pluginReports"]:
        if plugin_report["pluginName"] != plugin:
            continue
        for v in plugin_report["violations"]:
            for c in v["violatingConstructs"]:
                lines.append(f"{v['severity']} {v['ruleName']} at {c['constructPath']}: {v['description'][:160]}")
    return lines


def test_aws_solutions_reports_no_unacknowledged_finding(synth):
    # cdk-nag 3 fails synthesis on any finding, warnings included: so none may remain.
    assert _violations(synth.validation_report()) == []


def test_the_nag_pack_ran_on_this_app(synth):
    from cdk_nag import AwsSolutionsChecks

    direct = AwsSolutionsChecks().validate_scope(synth.lily.app)
    assert direct.success, [v.rule_name for v in direct.violations]


def test_no_stack_carries_an_error_warning_or_nag_annotation(synth):
    for artifact in synth.assembly.stacks:
        noisy = [f"{m.level.name} {m.id}: {m.entry.data}" for m in artifact.messages
                 if m.level.name in ("ERROR", "WARNING") or "AwsSolutions-" in str(m.entry.data)]
        assert noisy == [], artifact.stack_name



def test_every_acknowledgment_is_specific_and_has_a_reason(synth):
    seen = 0
    for template in synth.templates.values():
        for logical_id, res in template["Resources"].items():
            for rule_id, reason in nag_acknowledgments(res).items():
                seen += 1
                assert re.fullmatch(r"AwsSolutions-[A-Z0-9]+(\[.+\])?", rule_id), rule_id
                assert len(reason) >= 40, f"{logical_id} {rule_id}: reason too thin: {reason!r}"
                if rule_id.startswith("AwsSolutions-IAM5"):
                    # wildcards are acknowledged one by one, never the whole rule
                    assert re.fullmatch(r"AwsSolutions-IAM5\[(Resource|Action)::.+\]", rule_id), rule_id
                assert not rule_id.startswith("AwsSolutions-IAM4"), "use own policies, not AWS managed ones"
    assert seen, "the app acknowledges nothing: were the acknowledgments lost from the templates?"


def test_the_checker_catches_what_it_should(synth):
    # Given a stack with a plain queue and a wildcard policy, the same pack reports both.
    from cdk_nag import AwsSolutionsChecks

    stack = Stack(App(), "NagCanary")
    sqs.Queue(stack, "Plain")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=["*"]))
    report = AwsSolutionsChecks().validate_scope(stack)
    rules = {v.rule_name for v in report.violations}
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4", "AwsSolutions-IAM5[Resource::*]"} <= rules
