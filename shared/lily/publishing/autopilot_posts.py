"""Publishing's implementation of autopilot's :class:`lily.autopilot.ports.Posts`: the org's active connections,
and autopilot's posts created, given their generated image while drafts, scheduled or submitted for approval
through publishing's own use cases.

Autopilot reserves the ``posts_per_day`` unit before it schedules (its hard caps), so scheduling runs with
:class:`ReservedUpstream` as its posts quota: the unit is not taken twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from lily.autopilot.ports import Target
from lily.publishing import approval, editing, scheduling
from lily.publishing.post_schemas import PostCreate, PostUpdate, ScheduleIn, TargetIn

if TYPE_CHECKING:
    from lily.publishing.ports import ApprovalGate, PublishingPorts

AUTOPILOT = "autopilot"  # created_by of autopilot's posts


class ReservedUpstream:
    """Publishing's QuotaPort when the caller has already reserved the unit."""

    def consume(self, org_id: str, amount: int = 1) -> None:
        return None

    def release(self, org_id: str, amount: int = 1) -> None:
        return None  # the caller gives its own reservation back


class AutopilotPosts:
    def __init__(self, ports: Callable[[], PublishingPorts], gate: Callable[[], ApprovalGate],
                 connections: Callable[[str], list[Target]]) -> None:
        self.ports, self.gate, self._connections = ports, gate, connections

    def connections(self, org_id: str) -> list[Target]:
        return self._connections(org_id)

    def create(self, org_id: str, target: Target, text: str, needs_approval: bool) -> str:
        body = PostCreate(text=text, targets=[TargetIn(connection_id=target.connection_id)])
        return editing.create_post(self.ports(), org_id, body, AUTOPILOT,
                                   approval="required" if needs_approval else None).post_id

    def attach(self, org_id: str, post_id: str, media_ids: list[str]) -> None:
        editing.update_post(self.ports(), org_id, post_id, PostUpdate(media_ids=media_ids))

    def schedule(self, org_id: str, post_id: str, at: datetime, timezone: str) -> None:
        ports = self.ports()._replace(posts_quota=ReservedUpstream())
        scheduling.schedule(ports, org_id, post_id, ScheduleIn(scheduled_at=at, timezone=timezone))

    def submit(self, org_id: str, post_id: str, at: datetime, timezone: str) -> None:
        approval.submit(self.gate(), org_id, post_id, ScheduleIn(scheduled_at=at, timezone=timezone), AUTOPILOT,
                        AUTOPILOT)
