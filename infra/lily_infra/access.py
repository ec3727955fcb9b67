"""A function's ``Access`` declaration, turned into exactly the IAM statements it needs.

Written out action by action instead of with CDK's ``grant*`` helpers: those add action wildcards
(``s3:GetObject*``, ``kms:GenerateDataKey*``, ``kms:ReEncrypt*``) and ``index/*`` resources that
the declarations do not ask for. Here:

- tables: item reads on the table and each of its index ARNs, item writes on the table;
- queues: send (plus the URL/attribute look-ups the SDK makes) on each named queue;
- buckets: object reads/writes on ``<bucket>/*`` (object keys are data, so this one wildcard
  stays, acknowledged with a reason), ``s3:ListBucket`` for reads;
- secrets: read on each named secret; new versions and stage moves (rotation, no read) on each ``secrets_write``;
- the storage key: only what those services need, and only through them (``kms:ViaService``);
- the data key (``LILY_KMS_KEY_ID``): encrypt/decrypt as declared, never without an encryption
  context;
- SES: send from the configured identity (or any identity of the account when none is set).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam

from lily_infra.config import StageConfig
from lily_infra.stateful import StatefulStack

TABLE_READ = ("dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
              "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan")
TABLE_WRITE = ("dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
               "dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:UpdateItem")
QUEUE_SEND = ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage")
QUEUE_PROBE = ("sqs:GetQueueAttributes", "sqs:GetQueueUrl")
DLQ_DRAIN = ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
             "sqs:ReceiveMessage")
KEY_DESCRIBE = ("kms:DescribeKey",)
OBJECT_READ = ("s3:GetObject",)
OBJECT_WRITE = ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject")
BUCKET_READ = ("s3:ListBucket",)
SECRET_READ = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")
SECRET_WRITE = ("secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage")
SES_SEND = ("ses:SendEmail", "ses:SendRawEmail")
DATA_KEY = {
    "none": (),
    "encrypt": ("kms:Encrypt", "kms:GenerateDataKey"),
    "decrypt": ("kms:Decrypt",),
    "both": ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
}
# What each service needs from the storage key on the caller's behalf.
STORAGE_KEY = {
    ("dynamodb", "read"): ("kms:Decrypt",),
    ("dynamodb", "write"): ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
    ("s3", "read"): ("kms:Decrypt",),
    ("s3", "write"): ("kms:Decrypt", "kms:GenerateDataKey"),
    ("sqs", "write"): ("kms:Decrypt", "kms:GenerateDataKey"),
    ("secretsmanager", "read"): ("kms:Decrypt",),
    ("secretsmanager", "write"): ("kms:Decrypt", "kms:GenerateDataKey"),
}

OBJECT_WILDCARD_REASON = (
    "Object keys are user data (tenant/upload ids), so object actions need <bucket>/*; the statement is "
    "limited to this one bucket and to the object actions the function's access declaration names."
)
SES_WILDCARD_REASON = (
    "No ses_identity context is set for this stage, so sending is allowed from any identity verified "
    "in this account and region (never another account's); set -c ses_identity=<domain> to pin it."
)


def _modes(mode: str) -> tuple[bool, bool]:
    return mode in ("read", "readwrite"), mode in ("write", "readwrite")


def flatten(value: Any) -> str:
    """A resolved CloudFormation value as cdk-nag renders it in finding ids (``flattenCfnReference``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return delimiter.join(flatten(i) for i in items)
        if "Fn::Sub" in value:
            return flatten(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten(resource)}.{flatten(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten(value['Ref'])}>"
    import json

    return json.dumps(value, separators=(",", ":"))


@dataclass
class AccessPolicy:
    statements: list[iam.PolicyStatement] = field(default_factory=list)
    # cdk-nag findings these statements are expected to raise, each with the reason it is needed.
    acknowledgments: dict[str, str] = field(default_factory=dict)

    def allow(self, actions: tuple[str, ...] | list[str], resources: list[str], *,
              conditions: dict[str, Any] | None = None, sid: str | None = None) -> None:
        if actions and resources:
            self.statements.append(iam.PolicyStatement(
                sid=sid, actions=sorted(set(actions)), resources=resources, conditions=conditions,
            ))

    def acknowledge_wildcard(self, stack: Stack, resource: str, reason: str) -> None:
        rendered = flatten(stack.resolve(resource))
        self.acknowledgments[f"AwsSolutions-IAM5[Resource::{rendered}]"] = reason


def access_policy(spec: Any, stateful: StatefulStack, config: StageConfig, stack: Stack) -> AccessPolicy:
    """The statements granting ``spec.access`` and nothing more (the role's log permissions aside)."""
    access = spec.access
    policy = AccessPolicy()
    storage: dict[str, set[str]] = {}

    def need_storage(service: str, mode: str) -> None:
        storage.setdefault(service, set()).update(STORAGE_KEY[(service, mode)])

    for short, mode in sorted(access.table_modes.items()):
        table = _lookup(stateful.tables, short, "table", spec.name)
        read, write = _modes(mode)
        if read:
            indexes = [f"{table.table_arn}/index/{name}" for name in stateful.table_indexes[short]]
            policy.allow(TABLE_READ, [table.table_arn, *indexes])
            need_storage("dynamodb", "read")
        if write:
            policy.allow(TABLE_WRITE, [table.table_arn])
            need_storage("dynamodb", "write")

    for short in sorted(set(access.queues_send)):
        queue = _lookup(stateful.queues, short, "queue", spec.name)
        policy.allow(QUEUE_SEND, [queue.queue_arn])
        need_storage("sqs", "write")

    for short in sorted(set(access.queues_probe) - set(access.queues_send)):
        queue = _lookup(stateful.queues, short, "queue", spec.name)
        policy.allow(QUEUE_PROBE, [queue.queue_arn])

    for short in sorted(set(access.dlqs_probe) - set(access.dlqs_drain)):
        _lookup(stateful.queues, short, "queue", spec.name)
        policy.allow(QUEUE_PROBE, [stateful.dead_letter_queues[short].queue_arn])

    for short in sorted(set(access.dlqs_drain)):
        _lookup(stateful.queues, short, "queue", spec.name)
        policy.allow(DLQ_DRAIN, [stateful.dead_letter_queues[short].queue_arn])
        need_storage("sqs", "write")  # receiving decrypts; the storage key is used through SQS only

    for short, mode in sorted(access.buckets.items()):
        _lookup(stateful.buckets, short, "bucket", spec.name)
        bucket_arn = f"arn:{Aws.PARTITION}:s3:::{stateful.bucket_names[short]}"
        objects = f"{bucket_arn}/*"
        read, write = _modes(mode)
        actions = [*(OBJECT_READ if read else ()), *(OBJECT_WRITE if write else ())]
        policy.allow(actions, [objects])
        policy.acknowledge_wildcard(stack, objects, OBJECT_WILDCARD_REASON)
        if read:
            policy.allow(BUCKET_READ, [bucket_arn])
            need_storage("s3", "read")
        if write:
            need_storage("s3", "write")

    for short in sorted(set(access.secrets)):
        secret = _lookup(stateful.secrets, short, "secret", spec.name)
        policy.allow(SECRET_READ, [secret.secret_arn])
        need_storage("secretsmanager", "read")

    for short in sorted(set(access.secrets_write)):
        secret = _lookup(stateful.secrets, short, "secret", spec.name)
        policy.allow(SECRET_WRITE, [secret.secret_arn])
        need_storage("secretsmanager", "write")

    for service, actions in sorted(storage.items()):
        policy.allow(tuple(actions), [stateful.storage_key.key_arn],
                     conditions={"StringEquals": {"kms:ViaService": f"{service}.{Aws.REGION}.amazonaws.com"}})

    if DATA_KEY[access.kms]:
        policy.allow(DATA_KEY[access.kms], [stateful.data_key.key_arn],
                     conditions={"Null": {"kms:EncryptionContextKeys": "false"}})

    if access.kms_describe:  # metadata only: no encryption context involved
        policy.allow(KEY_DESCRIBE, [stateful.data_key.key_arn])

    if access.ses_send:
        identity = config.ses_identity or "*"
        arn = f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:identity/{identity}"
        policy.allow(SES_SEND, [arn])
        if identity == "*":
            policy.acknowledge_wildcard(stack, arn, SES_WILDCARD_REASON)

    return policy


def _lookup(resources: dict[str, Any], short: str, kind: str, function: str) -> Any:
    if short not in resources:
        raise ValueError(f"function {function!r} declares access to {kind} {short!r}, which is not declared "
                         f"(known: {sorted(resources)})")
    return resources[short]
