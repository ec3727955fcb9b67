"""cdk-nag (v3) wiring and the one helper every acknowledgment goes through.

cdk-nag 3 is a CDK validation plugin: ``Validations.of(app).add_plugins(AwsSolutionsChecks(app))``.
Any unacknowledged finding, warning or error, fails synthesis. ``NagSuppressions`` no longer
exists; a finding is acknowledged with ``Validations.of(construct).acknowledge(...)`` and applies
to that construct and everything below it. Findings with a subject carry it in the id
(``AwsSolutions-IAM5[Resource::*]``), so a wildcard is acknowledged one wildcard at a time.

With ``write_suppressions_to_cloud_formation`` every acknowledgment (id and reason) is also
written into the resource's ``Metadata.cdk_nag.rules_to_suppress`` in the template: the audit
trail reviewers and the infra tests read.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def enable(app: App) -> AwsSolutionsChecks:
    pack = AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    Validations.of(app).add_plugins(pack)
    return pack


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on ``scope`` (and its children), with a specific reason."""
    if not rule_id.startswith("AwsSolutions-"):
        raise ValueError(f"not an AwsSolutions rule id: {rule_id!r}")
    if len(reason.strip()) < 20:
        raise ValueError(f"{rule_id}: give a specific reason, not {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))
