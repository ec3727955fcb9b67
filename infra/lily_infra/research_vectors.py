"""Research memory's vector store: an Amazon OpenSearch Serverless *vector search* collection.

Declared in the stateful stack, with the three policies a collection needs:

- encryption: at rest with the stack's storage key (customer managed, rotated), not an AWS-owned key;
- network: the collection endpoint is reachable over HTTPS from the internet (Lily's functions run
  outside a VPC) and the dashboards are not reachable at all; every data-plane request is still SigV4
  signed and authorised twice, by IAM (``aoss:APIAccessAll`` on this collection) and by the data access
  policy below;
- data access: created by :meth:`VectorCollection.grant_data_access` for the roles that need it (the
  research functions), in the stack of those roles: index operations on ``<prefix>*`` indexes of this
  collection only, nothing on other collections, no dashboards. One policy per stack holding such roles
  (functions are spread over several stacks), named ``lily-<stage>-v<5 hex digits of the stack name's CRC-32>``:
  stable whatever other stack gets or loses one.

Standby replicas (a second copy across Availability Zones) are on for stages that retain data, off
for ephemeral ones; deletion follows the stage's removal policy. Functions reach the collection at
``LILY_OPENSEARCH_ENDPOINT`` (the ``VectorCollectionEndpoint`` output) with ``LILY_VECTOR_BACKEND=opensearch``.
"""

from __future__ import annotations

import zlib
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_opensearchserverless as aoss
from constructs import Construct

from lily_infra.config import StageConfig

MAX_NAME = 32  # collection and policy names: 3-32 characters, [a-z][a-z0-9-]+
INDEX_PERMISSIONS = ("aoss:CreateIndex", "aoss:DeleteIndex", "aoss:DescribeIndex", "aoss:ReadDocument",
                     "aoss:UpdateIndex", "aoss:WriteDocument")


def collection_name(config: StageConfig) -> str:
    name = f"lily-{config.stage}-vectors"
    if len(name) > MAX_NAME:
        raise ValueError(f"stage {config.stage!r} is too long for a vector collection name ({name!r} > {MAX_NAME})")
    return name


class VectorCollection(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.name = collection_name(config)
        self.index_prefix = config.prefix  # LILY_RESOURCE_PREFIX: index names are <prefix><short>

        stack = Stack.of(self)
        encryption = aoss.CfnSecurityPolicy(
            self, "Encryption", name=self.name, type="encryption",
            description=f"Lily {config.stage}: research vectors encrypted with the storage key",
            policy=stack.to_json_string({
                "Rules": [{"ResourceType": "collection", "Resource": [f"collection/{self.name}"]}],
                "AWSOwnedKey": False,
                "KmsARN": key.key_arn,
            }),
        )
        network = aoss.CfnSecurityPolicy(
            self, "Network", name=self.name, type="network",
            description=f"Lily {config.stage}: HTTPS endpoint for SigV4-signed requests; no dashboards",
            policy=stack.to_json_string([{
                "Rules": [{"ResourceType": "collection", "Resource": [f"collection/{self.name}"]}],
                "AllowFromPublic": True,
            }]),
        )
        self.collection = aoss.CfnCollection(
            self, "Collection", name=self.name, type="VECTORSEARCH",
            description=f"Lily {config.stage}: research memory (k-NN vectors per org)",
            standby_replicas="ENABLED" if config.retain_data else "DISABLED",
        )
        self.collection.add_resource_dependency(encryption)
        self.collection.add_resource_dependency(network)
        self.collection.apply_removal_policy(config.removal_policy)
        # stack path -> (its data access policy, the roles it names)
        self._data_access: dict[str, tuple[aoss.CfnAccessPolicy, list[str]]] = {}
        CfnOutput(self, "VectorCollectionEndpoint", value=self.collection.attr_collection_endpoint,
                  description="LILY_OPENSEARCH_ENDPOINT")

    @property
    def arn(self) -> str:
        return self.collection.attr_arn

    @property
    def endpoint(self) -> str:
        return self.collection.attr_collection_endpoint

    def grant_data_access(self, role: iam.IRole) -> None:
        """Let ``role`` use Lily's indexes in this collection: IAM and the collection's data access policy."""
        role.add_to_principal_policy(iam.PolicyStatement(actions=["aoss:APIAccessAll"], resources=[self.arn]))
        stack = Stack.of(role)
        key = stack.node.path
        if key not in self._data_access:
            name = f"lily-{self.config.stage}-v{zlib.crc32(stack.stack_name.encode()) & 0xFFFFF:05x}"
            if len(name) > MAX_NAME:
                raise ValueError(f"stage {self.config.stage!r} is too long for a data access policy name ({name!r})")
            policy = aoss.CfnAccessPolicy(
                stack, f"{self.node.id}DataAccess", name=name, type="data",
                description=f"Lily {self.config.stage}: research functions use the {self.index_prefix}* indexes",
                policy="[]",
            )
            self._data_access[key] = (policy, [])
        policy, principals = self._data_access[key]
        principals.append(role.role_arn)
        policy.policy = stack.to_json_string(self._data_policy(principals))  # names every role of its stack

    def _data_policy(self, principals: list[str]) -> list[dict[str, Any]]:
        return [{
            "Description": "Lily functions: index and document operations on this deployment's indexes",
            "Rules": [
                {"ResourceType": "index", "Resource": [f"index/{self.name}/{self.index_prefix}*"],
                 "Permission": list(INDEX_PERMISSIONS)},
                {"ResourceType": "collection", "Resource": [f"collection/{self.name}"],
                 "Permission": ["aoss:DescribeCollectionItems"]},
            ],
            "Principal": list(principals),
        }]

