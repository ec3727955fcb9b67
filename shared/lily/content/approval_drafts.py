"""Content's implementation of approvals' :class:`lily.approvals.ports.DraftSubjects`: a flagged AI draft's
approve is a decision of the one approval workflow (lily.approvals), not a step beside it."""

from __future__ import annotations

from typing import Any

from lily.content import drafts
from lily.content.models import ContentDraft


class DraftApprovals:
    def approve(self, org_id: str, draft_id: str) -> dict[str, Any]:
        return drafts.approve(org_id, draft_id).model_dump(mode="json")

    def exists(self, org_id: str, draft_id: str) -> bool:
        try:
            ContentDraft.get(org_id, draft_id)
        except ContentDraft.DoesNotExist:
            return False
        return True
