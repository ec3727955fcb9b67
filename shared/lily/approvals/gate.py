"""Approvals' implementation of publishing's :class:`lily.publishing.ports.ApprovalGate`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lily.approvals import policy, workflow
from lily.approvals.ports import ApprovalPorts


class PolicyGate:
    """The org's policy decides who waits; a submitted post opens a request in the one queue.

    ``ports`` builds approvals' ports on first need (a post that needs no approval loads no notifier)."""

    def __init__(self, ports: Callable[[], ApprovalPorts]) -> None:
        self.ports = ports

    def required(self, org_id: str, role: str | None, origin: str) -> bool:
        return policy.needs_approval(policy.load(org_id), role, origin)

    def submitted(self, org_id: str, post_id: str, requested_by: str | None, origin: str, at: datetime,
                  summary: str) -> None:
        workflow.open_request(self.ports(), org_id, "post", post_id, requested_by=requested_by, origin=origin,
                              summary=summary, scheduled_at=at)

    def approved_by_scheduling(self, org_id: str, post_id: str, actor: str | None) -> None:
        workflow.close_approved(self.ports(), org_id, post_id, actor)
