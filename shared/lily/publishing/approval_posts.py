"""Publishing's implementation of approvals' :class:`lily.approvals.ports.PostSubjects`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lily.publishing import approval

if TYPE_CHECKING:
    from lily.publishing.ports import PublishingPorts


class PostApprovals:
    def __init__(self, ports: Callable[[], PublishingPorts]) -> None:
        self.ports = ports

    def approve(self, org_id: str, post_id: str, text: str | None, at: datetime | None) -> dict[str, Any]:
        return approval.approve(self.ports(), org_id, post_id, text, at).model_dump(mode="json")

    def decline(self, org_id: str, post_id: str, decision: str) -> dict[str, Any]:
        return approval.decline(org_id, post_id, decision).model_dump(mode="json")
