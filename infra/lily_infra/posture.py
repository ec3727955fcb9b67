"""Cloud posture: the checkov checks Lily does not pass, each with the reason, in one list.

checkov (``--framework cloudformation``) runs on the synthesized templates in the infra suite
(``tests/infra/test_checkov.py``) and fails on any failed check that is not listed here. What matters is
fixed in the constructs instead (log groups under the logs key, the scheduled functions' failed-runs queues,
reserved concurrency, a versioned access-log bucket).

:class:`PostureSuppressions` (an aspect ``build_app`` adds) writes each suppression that applies to a resource
into its ``Metadata.checkov.skip`` (``id`` and ``comment``), where checkov reads it: the template carries its own
audit trail, whoever runs checkov on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jsii
from aws_cdk import CfnResource, IAspect
from constructs import IConstruct


def trigger_kind(resource: IConstruct) -> str | None:
    """``http`` / ``queue`` / ``schedule`` of the Lily function a resource belongs to (None outside one)."""
    scope: IConstruct | None = resource
    while scope is not None:
        spec = getattr(scope, "spec", None)
        if spec is not None:
            return spec.trigger.kind
        scope = scope.node.scope
    return None


def _always(_: IConstruct) -> bool:
    return True


@dataclass(frozen=True)
class Suppression:
    check_id: str
    resource_type: str
    reason: str
    applies: Callable[[IConstruct], bool] = _always


SUPPRESSIONS: tuple[Suppression, ...] = (
    Suppression(
        "CKV_AWS_117", "AWS::Lambda::Function",
        "Lambda outside a VPC: the functions reach only AWS APIs (DynamoDB, S3, SQS, KMS, Secrets Manager, SES) "
        "over TLS with IAM, and the social platforms and model providers on the internet. Nothing private lives "
        "in a VPC; one would only add NAT gateways or endpoints, cost and cold-start time.",
    ),
    Suppression(
        "CKV_AWS_173", "AWS::Lambda::Function",
        "Environment variables hold no secret (resource names, key ARNs, flags: lily.core.config.CoreSettings); "
        "secrets are read from Secrets Manager at run time. Lambda encrypts them at rest with its service key; a "
        "customer key would add a key grant per function and protect nothing more.",
    ),
    Suppression(
        "CKV_AWS_116", "AWS::Lambda::Function",
        "Not invoked asynchronously: HTTP functions answer API Gateway synchronously (the caller sees the error), "
        "and queue consumers are polled by an SQS event source mapping whose failed messages go to the source "
        "queue's own DLQ (redrive, alarmed). A function DLQ only receives asynchronous invocations; the scheduled "
        "functions, which EventBridge invokes asynchronously, have one.",
        applies=lambda r: trigger_kind(r) in ("http", "queue"),
    ),
    Suppression(
        "CKV_AWS_115", "AWS::Lambda::Function",
        "HTTP functions: the HTTP API stage throttle (api_rate_limit / api_burst_limit) bounds them. Reserving "
        "concurrency would take it from the account's shared pool and turn bursts into 429s below the API's own "
        "limit; queue consumers and scheduled functions, which must never be starved, have a reservation.",
        applies=lambda r: trigger_kind(r) == "http",
    ),
    Suppression(
        "CKV_AWS_18", "AWS::S3::Bucket",
        "This is the access-log bucket: the destination of the other buckets' server access logs. Logging it "
        "would need another bucket, itself unlogged, or a loop into itself.",
        applies=lambda r: r.node.scope is not None and r.node.scope.node.id == "AccessLogs",
    ),
)


def suppressions_for(resource: CfnResource) -> list[Suppression]:
    return [s for s in SUPPRESSIONS if s.resource_type == resource.cfn_resource_type and s.applies(resource)]


@jsii.implements(IAspect)
class PostureSuppressions:
    """Writes the applicable :data:`SUPPRESSIONS` into each resource's ``Metadata.checkov.skip``."""

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource):
            return
        found = suppressions_for(node)
        if found:
            node.add_metadata("checkov", {"skip": [{"id": s.check_id, "comment": s.reason} for s in found]})
