"""A deployment the tests' fast provisioning replays (tests/support/fast_provision.py) equals one provisioned over
HTTP by lily.local.provision: the same tables (keys, attributes, indexes and their projections, billing, TTL) and
the same queues (attributes, and each redrive policy naming its own deployment's DLQ)."""

from __future__ import annotations

import json
import os

import pytest

from lily.core.aws import client
from lily.core.config import reset_settings
from lily.local.provision import provision
from tests.conftest import deployment_env
from tests.support import fast_provision, localstack
from tests.support.emulator_reset import forget_deployment

VOLATILE_TABLE = {"TableName", "TableArn", "TableId", "CreationDateTime", "IndexArn", "LatestStreamArn"}


def _use(monkeypatch, name: str) -> str:
    for k, v in deployment_env(name).items():
        monkeypatch.setenv(k, v)
    reset_settings()  # the clients too (lily.core.aws registers with it)
    return os.environ["LILY_RESOURCE_PREFIX"]


def _strip(value, prefix: str):
    if isinstance(value, dict):
        return {k: _strip(v, prefix) for k, v in value.items() if k not in VOLATILE_TABLE}
    if isinstance(value, list):
        return [_strip(v, prefix) for v in value]
    if isinstance(value, str):
        return value.replace(prefix, "<prefix>")
    return value


def _deployment(prefix: str) -> dict:
    ddb, sqs = client("dynamodb"), client("sqs")
    names = [n for page in ddb.get_paginator("list_tables").paginate() for n in page["TableNames"]
             if n.startswith(prefix)]
    tables = {n.replace(prefix, ""): _strip(ddb.describe_table(TableName=n)["Table"], prefix)
              | {"ttl": ddb.describe_time_to_live(TableName=n)["TimeToLiveDescription"]} for n in names}
    queues = {}
    for url in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        attrs = {k: v for k, v in attrs.items() if k not in ("CreatedTimestamp", "LastModifiedTimestamp")}
        if "RedrivePolicy" in attrs:
            attrs["RedrivePolicy"] = json.loads(attrs["RedrivePolicy"])
        queues[url.rsplit("/", 1)[1].replace(prefix, "")] = _strip(attrs, prefix)
    return {"tables": tables, "queues": queues}


@pytest.mark.skipif(localstack.enabled(), reason="replays into the in-process emulator")
def test_a_replayed_deployment_equals_one_provisioned_over_http(emulator, monkeypatch):
    prefixes = []
    try:
        # the first deployment of the process is provisioned over HTTP and recorded (another test may have done it)
        prefixes.append(_use(monkeypatch, "fpfirst"))
        fast_provision.provision(prefixes[-1])
        replayed = _use(monkeypatch, "fpreplay")
        prefixes.append(replayed)
        fast_provision.provision(replayed)
        assert fast_provision._recorded_prefix not in (None, replayed)  # this one was replayed, not recorded
        got = _deployment(replayed)
        real = _use(monkeypatch, "fpreal")
        prefixes.append(real)
        provision()
        want = _deployment(real)
        assert len(want["tables"]) > 60 and len(want["queues"]) > 20
        assert got == want
        # and the rest of the deployment came over HTTP as before: its key and secrets
        _use(monkeypatch, "fpreplay")
        assert client("kms").describe_key(KeyId=os.environ["LILY_KMS_KEY_ID"])["KeyMetadata"]["Enabled"]
    finally:
        for prefix in prefixes:
            forget_deployment(prefix)
