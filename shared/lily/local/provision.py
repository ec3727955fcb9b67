"""Create, in the emulator, the same tables, queues, buckets, key and secrets the CDK app declares."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from lily.core import functions
from lily.core.aws import client
from lily.core.config import get_settings
from lily.core.db import table_schema
from lily.core.resources import BUCKETS, SECRETS, bucket_name, secret_name
from lily.local.secret_values import local_value


def _projection(model, index_name: str, kind: str) -> dict:
    """The index's projection; INCLUDE names its attributes (as the CDK stack does)."""
    if kind != "INCLUDE":
        return {"ProjectionType": kind}
    index = next(i for i in model._indexes.values() if i.Meta.index_name == index_name)
    return {"ProjectionType": kind, "NonKeyAttributes": list(index.Meta.projection.non_key_attributes)}


def _create_table(model) -> None:
    schema = table_schema(model)
    ddb = client("dynamodb")
    keys = [{"AttributeName": schema["hash"], "KeyType": "HASH"}]
    if schema["range"]:
        keys.append({"AttributeName": schema["range"], "KeyType": "RANGE"})
    kwargs = {
        "TableName": model.Meta.table_name,
        "KeySchema": keys,
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": t} for n, t in schema["attribute_types"].items()
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if schema["gsis"]:
        kwargs["GlobalSecondaryIndexes"] = [
            {
                "IndexName": name,
                "KeySchema": [{"AttributeName": g["hash"], "KeyType": "HASH"}]
                + ([{"AttributeName": g["range"], "KeyType": "RANGE"}] if g["range"] else []),
                "Projection": _projection(model, name, g["projection"]),
            }
            for name, g in schema["gsis"].items()
        ]
    try:
        ddb.create_table(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        return
    if schema["ttl"]:
        ddb.update_time_to_live(
            TableName=model.Meta.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": schema["ttl"]},
        )


def _create_queue(short: str, spec: functions.FunctionSpec) -> None:
    s = get_settings()
    sqs = client("sqs")
    dlq_url = sqs.create_queue(QueueName=s.dlq_name(short),
                               Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    trigger = spec.trigger
    assert isinstance(trigger, functions.Queue)
    sqs.create_queue(
        QueueName=s.queue_name(short),
        Attributes={
            "VisibilityTimeout": str(spec.visibility_timeout_s),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                         "maxReceiveCount": trigger.max_receive_count}),
        },
    )


def _create_key() -> None:
    s = get_settings()
    kms = client("kms")
    if not s.kms_key_id.startswith("alias/"):
        return
    try:
        kms.describe_key(KeyId=s.kms_key_id)
        return
    except ClientError:
        pass
    key_id = kms.create_key(Description="Lily local data key")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=s.kms_key_id, TargetKeyId=key_id)


def _create_bucket(short: str) -> None:
    s3 = client("s3")
    try:
        s3.create_bucket(Bucket=bucket_name(short))
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


def _create_secret(short: str) -> None:
    sm = client("secretsmanager")
    try:
        sm.create_secret(Name=secret_name(short), SecretString=json.dumps(local_value(short)))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceExistsException":
            raise


def provision(*, tables_and_queues: bool = True) -> dict[str, int]:
    """Idempotently create every declared resource; returns how many of each kind. With ``tables_and_queues``
    false only the key, buckets and secrets (the tests' emulator makes a deployment's tables and queues itself:
    ``tests/support/fast_provision.py``)."""
    models = functions.declared_models()
    qs = functions.queues()
    if tables_and_queues:
        for model in models:
            _create_table(model)
        for short, spec in qs:
            _create_queue(short, spec)
    _create_key()
    for short in BUCKETS:
        _create_bucket(short)
    for short in SECRETS:
        _create_secret(short)
    return {"tables": len(models), "queues": len(qs), "buckets": len(BUCKETS), "secrets": len(SECRETS)}
