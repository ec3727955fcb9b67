"""The calendar: an organization's scheduled and published posts per day, in its time zone, and rescheduling.

A period is a day, a week (Monday to Sunday) or a month around ``from`` (a local date, today when absent), or
``from``..``to`` (local dates, inclusive) when ``to`` is given; a period longer than ``calendar_max_days`` is cut
to it (``clamped``). Posts are read from the posts' ``by_schedule`` index between the UTC instants of the local
midnights (drafts have no instant and are not shown), at most ``calendar_max_posts`` (``truncated``), each with
its targets (platform, connection, state). Filters: platform, connection, status. For every plan.

Rescheduling checks the same conflicts as a queue slot (:mod:`lily.publishing.conflicts`) and then schedules
as the schedule route does (:func:`lily.publishing.approval.schedule_or_submit`: the approval policy, then
validation and the posts/day quota).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from lily.core import clock
from lily.core.errors import invalid
from lily.publishing import approval, conflicts
from lily.publishing.models import Post
from lily.publishing.ports import ApprovalGate, SchedulingPorts
from lily.publishing.posts import load_post
from lily.publishing.schemas import CalendarDay, CalendarOut, CalendarPost, CalendarTarget, PostOut, ScheduleIn
from lily.publishing.settings import publishing_settings
from lily.publishing.slots import slot_instant
from lily.publishing.states import targets_of

View = Literal["day", "week", "month"]


def _local_date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(f"{name} must be a date (YYYY-MM-DD)", field=name) from None


def period(view: View, start: date, end: date | None, max_days: int) -> tuple[date, date, bool]:
    """(first day, last day inclusive, clamped) of the period asked for."""
    if end is None:
        if view == "day":
            first, last = start, start
        elif view == "week":
            first = start - timedelta(days=start.weekday())
            last = first + timedelta(days=6)
        else:
            first = start.replace(day=1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        if end < start:
            raise invalid("to is before from", field="to")
        first, last = start, end
    if (last - first).days + 1 > max_days:
        return first, first + timedelta(days=max_days - 1), True
    return first, last, False


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return slot_instant(day, datetime.min.time(), zone)


def view(ports: SchedulingPorts, org_id: str, *, view: View = "week", date_from: str | None = None,
         date_to: str | None = None, platform: str | None = None, connection_id: str | None = None,
         status: str | None = None) -> CalendarOut:
    s = publishing_settings()
    zone_name = ports.zones.zone(org_id)
    zone = ZoneInfo(zone_name)
    today = clock.now().astimezone(zone).date()
    start = _local_date(date_from, "from") or today
    first, last, clamped = period(view, start, _local_date(date_to, "to"), s.calendar_max_days)
    lo, hi = _midnight(first, zone), _midnight(last + timedelta(days=1), zone)
    days: dict[str, list[CalendarPost]] = {}
    truncated = False
    shown = 0
    for post in Post.by_schedule.query(org_id, Post.scheduled_at.between(lo, hi)):
        if post.scheduled_at >= hi or (status and post.status != status):
            continue
        targets = [t for t in targets_of(post.post_id)
                   if (platform is None or t.platform == platform)
                   and (connection_id is None or t.connection_id == connection_id)]
        if not targets:
            continue
        if shown == s.calendar_max_posts:
            truncated = True
            break
        shown += 1
        local = post.scheduled_at.astimezone(zone)
        days.setdefault(local.date().isoformat(), []).append(CalendarPost(
            post_id=post.post_id, status=post.status, scheduled_at=post.scheduled_at, local=local.isoformat(),
            text=(post.text or "")[:140], queue_id=post.queue_slot.split("#")[0] if post.queue_slot else None,
            targets=[CalendarTarget(target_id=t.target_id, platform=t.platform, connection_id=t.connection_id,
                                    state=t.state) for t in targets]))
    out_days = []
    day = first
    while day <= last:
        out_days.append(CalendarDay(date=day.isoformat(), posts=days.get(day.isoformat(), [])))
        day += timedelta(days=1)
    return CalendarOut(timezone=zone_name, view=view, start=first.isoformat(), end=last.isoformat(),
                       clamped=clamped, truncated=truncated, days=out_days)


def reschedule(ports: SchedulingPorts, gate: ApprovalGate, org_id: str, post_id: str, body: ScheduleIn,
               role: str | None, actor: str | None) -> PostOut:
    """Move a post to another instant, refused (409) when it conflicts; a queued post leaves its queue slot.

    The approval policy applies as on the schedule route (:func:`approval.schedule_or_submit`): an approved
    post moves, and a post its author may not schedule alone is submitted for approval at the new instant."""
    post = load_post(org_id, post_id)
    if "timezone" not in body.model_fields_set:  # a wall time without offset is read in the org's zone
        body = body.model_copy(update={"timezone": ports.zones.zone(org_id)})
    at = body.instant()
    connections = {t.connection_id: t.platform for t in targets_of(post_id)}
    conflicts.check(org_id, connections, at, exclude_post_id=post_id)
    out = approval.schedule_or_submit(ports.posts, gate, org_id, post_id, body, role, actor)
    if post.queue_slot:
        Post(org_id, post_id).update(actions=[Post.queue_slot.remove()])
    return out
