"""Stage selection and what changes between an ephemeral stage and one that keeps its data."""

from __future__ import annotations

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template
from lily_infra.builder import cdk_json_context, declarations
from lily_infra.config import load_config
from lily_infra.stateful import StatefulStack

from tests.infra.cfn import props

DATA_TYPES = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SQS::Queue",
              "AWS::SecretsManager::Secret")


def test_the_stage_comes_from_context_then_lily_stage_then_dev():
    assert load_config({}, environ={}).stage == "dev"
    assert load_config({}, environ={"LILY_STAGE": "staging"}).stage == "staging"
    assert load_config({"stage": "prod"}, environ={"LILY_STAGE": "staging"}).stage == "prod"


@pytest.mark.parametrize("stage", ["Prod", "1dev", "a" * 30, "dev_1"])
def test_a_bad_stage_name_fails_synthesis(stage):
    with pytest.raises(ValueError, match="stage"):
        load_config({"stage": stage}, environ={})


@pytest.mark.parametrize(("stage", "retain"), [("dev", False), ("dev-alice", False), ("pr-42", False),
                                               ("staging", True), ("prod", True)])
def test_only_ephemeral_stages_drop_their_data(stage, retain):
    assert load_config({"stage": stage}, environ={}).retain_data is retain


def test_retention_can_be_forced_by_context():
    assert load_config({"stage": "dev", "retain_data": "true"}, environ={}).retain_data is True
    assert load_config({"stage": "prod", "retain_data": False}, environ={}).retain_data is False


def test_context_knobs_are_validated():
    cfg = load_config({"stage": "qa", "cors_origins": '["https://app.example.com"]', "log_level": "debug"},
                      environ={})
    assert cfg.cors_origins == ("https://app.example.com",) and cfg.log_level == "DEBUG"
    with pytest.raises(ValueError):
        load_config({"cors_origins": '"*"'}, environ={})
    with pytest.raises(ValueError):
        load_config({"log_level": "LOUD"}, environ={})


def test_physical_names_follow_the_resource_prefix():
    cfg = load_config({"stage": "qa"}, environ={})
    assert cfg.prefix == "lily-qa-"
    assert cfg.table_name("posts") == "lily-qa-posts"
    assert cfg.queue_name("publish") == "lily-qa-publish" and cfg.dlq_name("publish") == "lily-qa-publish-dlq"
    assert cfg.data_key_alias == "alias/lily-qa-data"


@pytest.fixture(scope="module")
def prod_stateful() -> dict:
    _specs, tables, queues, buckets, secrets = declarations()
    app = App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})  # cdk.json's feature flags
    stack = StatefulStack(app, "prod-stateful", config=load_config({"stage": "prod"}, environ={}),
                          tables=tables, queues=queues, buckets=buckets, secrets=secrets)
    return Template.from_stack(stack).to_json()


def test_a_kept_stage_retains_every_resource_holding_data(prod_stateful):
    data = {k: r for k, r in prod_stateful["Resources"].items() if r["Type"] in DATA_TYPES}
    assert data
    for logical_id, res in data.items():
        assert res.get("DeletionPolicy") == "Retain", logical_id
        assert res.get("UpdateReplacePolicy") == "Retain", logical_id


def test_a_kept_stage_protects_its_tables(prod_stateful):
    for logical_id, res in prod_stateful["Resources"].items():
        if res["Type"] == "AWS::DynamoDB::Table":
            assert props(res)["DeletionProtectionEnabled"] is True, logical_id


def test_dev_drops_its_data_and_protects_nothing(synth):
    for logical_id, res in synth.stateful["Resources"].items():
        if res["Type"] in DATA_TYPES:
            assert res.get("DeletionPolicy") == "Delete", logical_id
    for artifact in synth.assembly.stacks:
        assert artifact.termination_protection is not True


def test_tests_never_bundle_the_layer(synth):
    assert synth.layer_builds == []
