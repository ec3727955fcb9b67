"""Notices: a limit autopilot reached, with the plan (or the setting) that lifts it; listed by the API."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from lily.autopilot.models import AutopilotNotice
from lily.core import clock, ids
from lily.core.pages import PageParams, query_page

if TYPE_CHECKING:
    from lily.autopilot.schemas import AutopilotNoticePage, NoticeOut

KEEP = timedelta(days=90)


def record(org_id: str, run_id: str | None, reason: str, message: str, upgrade_to: str | None,
           details: dict[str, Any]) -> None:
    now = clock.now()
    AutopilotNotice(org_id, ids.new_id("ntc"), run_id=run_id, reason=reason, message=message, upgrade_to=upgrade_to,
                    details=details, created_at=now, expires_at=now + KEEP).save()


def out(n: AutopilotNotice) -> NoticeOut:
    # the API's model, imported by the route that lists notices: a run records them without building it
    from lily.autopilot.schemas import NoticeOut

    return NoticeOut(notice_id=n.notice_id, run_id=n.run_id, reason=n.reason, message=n.message,
                     upgrade_to=n.upgrade_to, details=n.details, created_at=n.created_at)


def list_notices(org_id: str, page: PageParams) -> AutopilotNoticePage:
    from lily.autopilot.schemas import AutopilotNoticePage

    items, cursor = query_page(
        lambda start, n: AutopilotNotice.query(org_id, scan_index_forward=False, last_evaluated_key=start, limit=n),
        {"org_id": org_id}, page, out)
    return AutopilotNoticePage(items=items, next_cursor=cursor)
