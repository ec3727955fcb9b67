"""The research vector collection construct: encryption, network and data access policies, cdk-nag clean."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template
from lily_infra import nag
from lily_infra.config import load_config
from lily_infra.research_vectors import VectorCollection, collection_name

from tests.infra.cfn import props, resources


def synth(stage: str):
    app = App()
    config = load_config({"stage": stage}, environ={})
    stateful = Stack(app, "Stateful")
    key = kms.Key(stateful, "StorageKey", enable_key_rotation=True)
    vectors = VectorCollection(stateful, "ResearchVectors", config=config, key=key)
    service = Stack(app, "Service")
    role = iam.Role(service, "ResearchWorker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    vectors.grant_data_access(role)
    vectors.grant_data_access(iam.Role(service, "ResearchApi",
                                       assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")))
    return app, Template.from_stack(stateful).to_json(), Template.from_stack(service).to_json()


def by_type(template: dict, kind: str) -> dict[str, dict]:
    return {props(r)["Type"]: r for r in resources(template, "AWS::OpenSearchServerless::SecurityPolicy").values()
            } if kind == "security" else resources(template, kind)


@pytest.mark.parametrize(("stage", "replicas"), [("dev", "DISABLED"), ("prod", "ENABLED")])
def test_a_vector_search_collection_that_waits_for_its_policies(stage, replicas):
    _, stateful, _ = synth(stage)
    (logical_id, collection), = resources(stateful, "AWS::OpenSearchServerless::Collection").items()
    assert props(collection)["Type"] == "VECTORSEARCH"
    assert props(collection)["Name"] == f"lily-{stage}-vectors"
    assert props(collection)["StandbyReplicas"] == replicas
    policies = by_type(stateful, "security")
    policy_ids = {k for k, r in resources(stateful, "AWS::OpenSearchServerless::SecurityPolicy").items()}
    assert set(collection["DependsOn"]) == policy_ids and set(policies) == {"encryption", "network"}


def test_encrypted_with_the_storage_key_and_reachable_only_at_the_collection_endpoint():
    _, stateful, _ = synth("prod")
    policies = by_type(stateful, "security")
    encryption = props(policies["encryption"])["Policy"]
    assert "Fn::Join" in encryption  # the key's ARN, resolved at deploy time
    text = "".join(p if isinstance(p, str) else "<arn>" for p in encryption["Fn::Join"][1])
    rules = [{"ResourceType": "collection", "Resource": ["collection/lily-prod-vectors"]}]
    assert json.loads(text) == {"Rules": rules, "AWSOwnedKey": False, "KmsARN": "<arn>"}
    network = json.loads(props(policies["network"])["Policy"])
    assert network == [{"Rules": [{"ResourceType": "collection", "Resource": ["collection/lily-prod-vectors"]}],
                        "AllowFromPublic": True}]  # no dashboard rule: dashboards stay closed


def test_data_access_names_the_granted_roles_and_only_this_deployments_indexes():
    _, _, service = synth("prod")
    (policy,) = resources(service, "AWS::OpenSearchServerless::AccessPolicy").values()
    assert props(policy)["Type"] == "data" and re.fullmatch(r"lily-prod-v[0-9a-f]{5}", props(policy)["Name"])
    parts = props(policy)["Policy"]["Fn::Join"][1]
    roles = [p["Fn::GetAtt"][0] for p in parts if isinstance(p, dict)]
    assert len(roles) == 2 and all(r.startswith(("ResearchWorker", "ResearchApi")) for r in roles)
    document = json.loads("".join(p if isinstance(p, str) else "ROLE" for p in parts))
    (statement,) = document
    index_rule, collection_rule = statement["Rules"]
    assert index_rule["Resource"] == ["index/lily-prod-vectors/lily-prod-*"]
    assert "aoss:DeleteIndex" in index_rule["Permission"] and not any("*" in p for p in index_rule["Permission"])
    assert collection_rule["Permission"] == ["aoss:DescribeCollectionItems"]
    # and IAM lets each role call this collection's data plane only
    statements = [s for p in resources(service, "AWS::IAM::Policy").values()
                  for s in props(p)["PolicyDocument"]["Statement"]]
    assert all(s["Action"] == "aoss:APIAccessAll" for s in statements) and len(statements) == 2
    assert all("Fn::ImportValue" in json.dumps(s["Resource"]) for s in statements)


def test_cdk_nag_finds_nothing():
    app, _, _ = synth("prod")
    report = nag.enable(app).validate_scope(app)
    assert report.success, [v.rule_name for v in report.violations]


def test_roles_of_another_stack_get_that_stacks_own_policy():
    # Given roles in two stacks (functions are spread over several), each stack's policy names its own roles
    app = App()
    stateful = Stack(app, "Stateful")
    vectors = VectorCollection(stateful, "V", config=load_config({"stage": "dev"}, environ={}),
                               key=kms.Key(stateful, "K", enable_key_rotation=True))
    stacks = {name: Stack(app, name) for name in ("One", "Two")}
    for name, stack in stacks.items():
        vectors.grant_data_access(iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")))
    names = set()
    for stack in stacks.values():
        template = Template.from_stack(stack).to_json()
        (policy,) = resources(template, "AWS::OpenSearchServerless::AccessPolicy").values()
        roles = [p["Fn::GetAtt"][0] for p in props(policy)["Policy"]["Fn::Join"][1] if isinstance(p, dict)]
        assert len(roles) == 1 and roles[0] in resources(template, "AWS::IAM::Role")
        names.add(props(policy)["Name"])
    # named after their stack: distinct, within the 32 characters, the same on every synthesis
    assert len(names) == 2 and all(re.fullmatch(r"lily-dev-v[0-9a-f]{5}", n) for n in names)
    longest = load_config({"stage": "s" * 19}, environ={})
    assert collection_name(longest) and len(f"lily-{longest.stage}-v00000") <= 32


def test_a_stage_too_long_for_the_collection_name_is_refused():
    with pytest.raises(ValueError, match="too long"):
        collection_name(load_config({"stage": "a-very-long-stage-nam"}, environ={}))


def test_in_the_app_exactly_the_functions_declaring_vectors_reach_the_collection(synth, specs):
    """Access(vectors=True) gives the role aoss:APIAccessAll on the collection, a place in its data access
    policy, and the environment that selects the OpenSearch adapter; no other function gets any of it."""
    from tests.infra.cfn import functions_by_name, role_policies

    declared = {spec.name for spec in specs if spec.access.vectors}
    assert declared == {"research", "research_worker", "privacy_worker"}  # privacy: an erasure forgets an org's
    service = synth.functions
    # one data access policy per function stack holding such a function
    policies = resources(service, "AWS::OpenSearchServerless::AccessPolicy")
    holding = {stack for stack, t in synth.function_stacks.items() for spec in specs if spec.access.vectors
               and synth.config.function_name(spec.name) in functions_by_name(t)}
    assert len(policies) == len(holding)
    assert len({props(p)["Name"] for p in policies.values()}) == len(policies)
    principals = json.dumps([props(p)["Policy"] for p in policies.values()])
    for spec in specs:
        logical_id, function = functions_by_name(service)[synth.config.function_name(spec.name)]
        env = props(function)["Environment"]["Variables"]
        role_id = props(function)["Role"]["Fn::GetAtt"][0]
        actions = {a for policy in role_policies(service, role_id).values()
                   for statement in policy["Properties"]["PolicyDocument"]["Statement"]
                   for a in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])}
        reaches = spec.name in declared
        assert ("aoss:APIAccessAll" in actions) is reaches, spec.name
        assert (env.get("LILY_VECTOR_BACKEND") == "opensearch") is reaches, spec.name
        assert ("LILY_OPENSEARCH_ENDPOINT" in env) is reaches, spec.name
        assert (role_id in principals) is reaches, spec.name
