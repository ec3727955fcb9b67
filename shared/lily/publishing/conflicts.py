"""Slot conflicts: may one more post go out on these connections at this instant?

Refused (``WORKFLOW_002``, 409, ``details.reason``):

- ``slot_taken``: another post on one of the connections is scheduled within ``slot_gap_s`` of the instant;
- ``pacing``: with it, some sliding window of one of the platform's account pacing rules
  (:mod:`lily.publishing.settings` ``pacing``) would hold more posts than the rule allows, so the post would only
  wait in the publisher's line.

The posts/day quota is not checked here: scheduling consumes it (``PLAN_002``, 429) in the same call.
Reads: one Query of the posts' ``by_schedule`` index over the widest window, and the targets of each post found.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lily.core import clock
from lily.core.errors import ErrorCode, LilyError
from lily.publishing.models import Post
from lily.publishing.settings import publishing_settings
from lily.publishing.states import targets_of

LIVE = ("scheduled", "queued", "publishing", "published")


def over_pacing(others: list[datetime], at: datetime, limit: int, window_s: float) -> bool:
    """Would some window of ``window_s`` that holds ``at`` hold more than ``limit`` posts (``others`` + ``at``)?"""
    span = timedelta(seconds=window_s)
    times = sorted([*others, at])
    for start in (t for t in times if at - span < t <= at):  # the fullest window starts at a post
        if sum(1 for t in times if start <= t < start + span) > limit:
            return True
    return False


def check(org_id: str, connections: dict[str, str], at: datetime, exclude_post_id: str | None = None) -> None:
    """Raise 409 when a post on ``connections`` ({connection_id: platform}) at ``at`` conflicts."""
    s = publishing_settings()
    rules = {c: [r for r in s.pacing.get(p, []) if r.scope == "account"] for c, p in connections.items()}
    widest = max([s.slot_gap_s, *(r.window_s for rs in rules.values() for r in rs)])
    span = timedelta(seconds=widest)
    near: dict[str, list[datetime]] = {c: [] for c in connections}
    for post in Post.by_schedule.query(org_id, Post.scheduled_at.between(at - span, at + span)):
        if post.post_id == exclude_post_id:
            continue
        for t in targets_of(post.post_id):
            if t.connection_id in near and t.state in LIVE and t.scheduled_at is not None:
                near[t.connection_id].append(t.scheduled_at)
    gap = timedelta(seconds=s.slot_gap_s)
    for connection_id, times in near.items():
        close = [t for t in times if abs(t - at) < gap]
        if close:
            raise LilyError(ErrorCode.WORKFLOW_002, "another post on this connection holds that time",
                            {"reason": "slot_taken", "connection_id": connection_id, "at": clock.iso(at),
                             "other_at": clock.iso(min(close))})
        for rule in rules[connection_id]:
            if over_pacing(times, at, rule.limit, rule.window_s):
                raise LilyError(ErrorCode.WORKFLOW_002, "the platform's pacing allows no more posts then",
                                {"reason": "pacing", "connection_id": connection_id, "at": clock.iso(at),
                                 "limit": rule.limit, "window_s": rule.window_s})
