"""The stateful stack: keys, tables, buckets, queues and secrets, all from the declarations.

- Tables: one per pynamodb model (``declared_models()`` / ``table_schema()``): keys, GSIs (and LSIs)
  with their projection, TTL, on-demand billing, point-in-time recovery, encrypted with the
  storage key.
- Buckets: one per ``BUCKETS`` entry, KMS-encrypted, versioned, private, TLS-only, with server
  access logs in a log bucket.
- Queues: one per queue-triggered function (``queues()``), each with its DLQ; redrive after the
  consumer's ``max_receive_count``; visibility timeout = ``spec.visibility_timeout_s``.
- Secrets: one per ``SECRETS`` entry, named ``<prefix><short>``; operators set the values.

Two KMS keys, both rotated yearly:

- ``alias/lily-<stage>-data`` (``LILY_KMS_KEY_ID``): envelope encryption of tenant secrets (OAuth
  tokens). Only functions whose access declares ``kms`` may use it.
- ``alias/lily-<stage>-storage``: at-rest encryption of tables, buckets, queues and secrets.
  Functions use it only through those services (``kms:ViaService``).

Keeping them apart means that reading a table never implies being able to open the envelopes
stored in it. A third, ``alias/lily-<stage>-logs``, encrypts the CloudWatch log groups (logs hold emails
and ids): only CloudWatch Logs may use it, and only for this account's log groups.

Non-ephemeral stages RETAIN every resource that holds data and protect tables from deletion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from lily_infra import nag
from lily_infra.config import StageConfig
from lily_infra.research_vectors import VectorCollection

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}


@dataclass(frozen=True)
class TableModel:
    """What the stack needs to know about one pynamodb model."""

    schema: dict[str, Any]  # lily.core.db.table_schema(model)
    local_indexes: frozenset[str] = frozenset()
    non_key_attributes: Mapping[str, Sequence[str]] | None = None

    @classmethod
    def of(cls, model: Any) -> TableModel:
        from pynamodb.indexes import LocalSecondaryIndex

        from lily.core.db import table_schema

        local: set[str] = set()
        include: dict[str, list[str]] = {}
        for index in getattr(model, "_indexes", {}).values():
            name = index.Meta.index_name
            if isinstance(index, LocalSecondaryIndex):
                local.add(name)
            attrs = getattr(index.Meta.projection, "non_key_attributes", None)
            if attrs:
                include[name] = list(attrs)
        return cls(schema=table_schema(model), local_indexes=frozenset(local), non_key_attributes=include)


@dataclass(frozen=True)
class QueueDecl:
    short: str
    max_receive_count: int
    visibility_timeout_s: int


def _attribute(name: str, schema: dict[str, Any]) -> dynamodb.Attribute:
    kind = schema["attribute_types"].get(name)
    if kind not in _ATTRIBUTE_TYPES:
        raise ValueError(f"table {schema['name']}: key attribute {name!r} has type {kind!r}; keys must be S, N or B")
    return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[kind])


class StatefulStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        tables: Sequence[TableModel],
        queues: Sequence[QueueDecl],
        buckets: Mapping[str, str],
        secrets: Mapping[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        removal = config.removal_policy
        pending = Duration.days(30 if config.retain_data else 7)

        self.data_key = kms.Key(
            self, "DataKey",
            alias=config.data_key_alias,
            description=f"Lily {config.stage}: envelope encryption of tenant secrets (LILY_KMS_KEY_ID)",
            enable_key_rotation=True,
            pending_window=pending,
            removal_policy=removal,
        )
        self.storage_key = kms.Key(
            self, "StorageKey",
            alias=config.storage_key_alias,
            description=f"Lily {config.stage}: at-rest encryption of tables, buckets, queues and secrets",
            enable_key_rotation=True,
            pending_window=pending,
            removal_policy=removal,
        )

        self.logs_key = self._logs_key(pending)

        self.tables: dict[str, dynamodb.Table] = {}
        self.table_indexes: dict[str, list[str]] = {}
        for model in tables:
            self._table(model)

        self.access_log_bucket = self._access_log_bucket()
        self.buckets: dict[str, s3.Bucket] = {}
        self.bucket_names: dict[str, str] = {}
        for short, purpose in buckets.items():
            self._bucket(short, purpose)

        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for decl in queues:
            self._queue(decl)

        self.secrets: dict[str, secretsmanager.Secret] = {}
        for short, purpose in secrets.items():
            self._secret(short, purpose)

        self.vectors = VectorCollection(self, "ResearchVectors", config=config, key=self.storage_key)

        CfnOutput(self, "DataKeyArn", value=self.data_key.key_arn, description="LILY_KMS_KEY_ID")
        if "media" in self.buckets:
            CfnOutput(self, "MediaBucketName", value=self.bucket_names["media"], description="LILY_MEDIA_BUCKET")

    def _logs_key(self, pending: Duration) -> kms.Key:
        key = kms.Key(
            self, "LogsKey",
            alias=self.config.logs_key_alias,
            description=f"Lily {self.config.stage}: encryption of CloudWatch log groups (function and API logs)",
            enable_key_rotation=True,
            pending_window=pending,
            removal_policy=self.config.removal_policy,
        )
        # CloudWatch Logs encrypts and decrypts with it on behalf of this account's log groups only.
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudWatchLogsForThisAccountsLogGroups",
            principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
            actions=["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
                     "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
            resources=["*"],
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                    f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"}},
        ))
        return key

    # -- tables --

    def _table(self, model: TableModel) -> None:
        schema = model.schema
        short = schema["name"]
        table = dynamodb.Table(
            self, f"{short}-table",
            table_name=self.config.table_name(short),
            partition_key=_attribute(schema["hash"], schema),
            sort_key=_attribute(schema["range"], schema) if schema["range"] else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True,
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.storage_key,
            time_to_live_attribute=schema["ttl"] or None,
            deletion_protection=self.config.retain_data,
            removal_policy=self.config.removal_policy,
        )
        for name, index in schema["gsis"].items():
            projection = _PROJECTIONS[index["projection"]]
            non_key = list((model.non_key_attributes or {}).get(name, [])) or None
            if projection != dynamodb.ProjectionType.INCLUDE:
                non_key = None
            if name in model.local_indexes:
                table.add_local_secondary_index(
                    index_name=name,
                    sort_key=_attribute(index["range"], schema),
                    projection_type=projection,
                    non_key_attributes=non_key,
                )
            else:
                table.add_global_secondary_index(
                    index_name=name,
                    partition_key=_attribute(index["hash"], schema),
                    sort_key=_attribute(index["range"], schema) if index["range"] else None,
                    projection_type=projection,
                    non_key_attributes=non_key,
                )
        self.tables[short] = table
        self.table_indexes[short] = sorted(schema["gsis"])

    # -- buckets --

    def _access_log_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self, "AccessLogs",
            # S3 server access log delivery does not support SSE-KMS destinations.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,  # an overwritten or deleted log object stays recoverable until it expires
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs",
                                              expiration=Duration.days(self.config.access_log_expiry_days),
                                              noncurrent_version_expiration=Duration.days(30))],
            removal_policy=self.config.removal_policy,
        )
        nag.acknowledge(bucket, "AwsSolutions-S1",
                        "This is the destination of the other buckets' server access logs; logging it "
                        "to itself would loop.")
        return bucket

    def _bucket(self, short: str, purpose: str) -> None:
        # Bucket names are global: the media bucket carries the account and region so every
        # deployment gets its own. Other buckets follow lily.core.resources.bucket_name().
        if short == "media":
            name = f"{self.config.prefix}{short}-{Aws.ACCOUNT_ID}-{Aws.REGION}"
        else:
            name = f"{self.config.prefix}{short}"
        cors = None
        if self.config.cors_origins:
            cors = [s3.CorsRule(allowed_methods=[s3.HttpMethods.GET, s3.HttpMethods.PUT, s3.HttpMethods.HEAD],
                                allowed_origins=list(self.config.cors_origins),
                                allowed_headers=["*"], max_age=3000)]
        bucket = s3.Bucket(
            self, f"{short}-bucket",
            bucket_name=name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.storage_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix=f"{short}/",
            cors=cors,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-noncurrent-versions",
                                 noncurrent_version_expiration=Duration.days(30)),
                s3.LifecycleRule(id="abort-incomplete-uploads",
                                 abort_incomplete_multipart_upload_after=Duration.days(7)),
            ],
            removal_policy=self.config.removal_policy,
        )
        self.buckets[short] = bucket
        self.bucket_names[short] = name

    # -- queues --

    def _queue(self, decl: QueueDecl) -> None:
        common: dict[str, Any] = {
            "encryption": sqs.QueueEncryption.KMS,
            "encryption_master_key": self.storage_key,
            "enforce_ssl": True,
            "removal_policy": self.config.removal_policy,
        }
        dlq = sqs.Queue(
            self, f"{decl.short}-dlq",
            queue_name=self.config.dlq_name(decl.short),
            retention_period=Duration.days(14),
            **common,
        )
        queue = sqs.Queue(
            self, f"{decl.short}-queue",
            queue_name=self.config.queue_name(decl.short),
            visibility_timeout=Duration.seconds(decl.visibility_timeout_s),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=decl.max_receive_count),
            **common,
        )
        self.queues[decl.short] = queue
        self.dead_letter_queues[decl.short] = dlq

    # -- secrets --

    def _secret(self, short: str, purpose: str) -> None:
        secret = secretsmanager.Secret(
            self, f"{short}-secret",
            secret_name=self.config.secret_name(short),
            description=f"Lily {self.config.stage}: {purpose} (value set by operators)"[:2048],
            encryption_key=self.storage_key,
            removal_policy=self.config.removal_policy,
        )
        nag.acknowledge(secret, "AwsSolutions-SMG4",
                        "Lily secrets are key rings (active id plus previous keys) rotated by operators "
                        "through the admin runbook; a Secrets Manager rotation Lambda cannot mint them.")
        self.secrets[short] = secret
