"""Recurring posts: one text on some connections, repeated by a rule (five-field cron through ``croniter``, or
an RFC 5545 RRULE through ``python-dateutil``) in the organization's time zone, with an end (``until`` and/or
``count``).

Occurrences are not created all at once: the automation schedule (:func:`run_due`) creates each one as an
ordinary scheduled post when it comes within ``LILY_AUTOPOST_HORIZON_H`` (48 h), through
:func:`lily.publishing.autopost.create_once` (claimed per rule and instant: a retried or repeated run makes
nothing twice). The dispatcher and the exactly-once publisher then send it like any other post.

Wall times follow the slots' daylight-saving rules (:mod:`lily.publishing.slots`): a time that does not exist
(spring forward) goes out as far after the change as it was after the gap's start; a time that happens twice
(fall back) goes out once, at its first occurrence. An occurrence whose turn comes less than
``LILY_AUTOPOST_MIN_LEAD_S`` ahead (the schedule did not run for a while) is missed and counted, never sent late.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from croniter import croniter
from dateutil.rrule import rrulestr

from lily.core import clock, ids
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, conflict, invalid, not_found
from lily.core.observability import count, logger
from lily.core.pages import PageParams, query_page
from lily.publishing.autopost import Content, create_once, due_sk
from lily.publishing.autopost_settings import autopost_settings
from lily.publishing.media import media_items
from lily.publishing.models import RecurringRule
from lily.publishing.ports import SchedulingPorts
from lily.publishing.settings import publishing_settings
from lily.publishing.slots import slot_instant

if TYPE_CHECKING:
    from lily.publishing.schemas import RecurringIn, RecurringList, RecurringOut

DUE = "due"


def _local_naive(at: datetime, zone: ZoneInfo) -> datetime:
    return at.astimezone(zone).replace(tzinfo=None)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    return slot_instant(wall.date(), wall.time(), zone)


def _walls(cron: str | None, rule: str | None, start: datetime) -> Iterator[datetime]:
    """Naive wall times of the rule from ``start`` (naive, in the zone) on, ascending."""
    if cron is not None:
        it = croniter(cron, start - timedelta(seconds=1))
        while True:
            yield it.get_next(datetime)
    else:
        yield from rrulestr(rule, dtstart=start.replace(microsecond=0), ignoretz=True)


def occurrences(cron: str | None, rule: str | None, zone: ZoneInfo, starts_at: datetime, after: datetime,
                until: datetime | None = None) -> Iterator[datetime]:
    """UTC instants of the rule at or after ``starts_at`` and strictly after ``after``, ascending, each once,
    none after ``until``."""
    # a cron is absolute: start a day before ``after`` (a gap can pull a wall time forward); an RRULE's phase
    # (INTERVAL, COUNT) is its start's, so it always runs from ``starts_at``
    start = max(starts_at, after - timedelta(days=1)) if cron is not None else starts_at
    last = None
    for wall in _walls(cron, rule, _local_naive(start, zone)):
        at = _instant(wall, zone)
        if until is not None and at > until:
            return
        if at < starts_at or at <= after or (last is not None and at <= last):
            continue
        last = at
        yield at


def _check_rule(cron: str | None, rule: str | None, zone: ZoneInfo, starts_at: datetime) -> None:
    s = autopost_settings()
    if (cron is None) == (rule is None):
        raise invalid("give exactly one of cron and rrule")
    try:
        if cron is not None and not croniter.is_valid(cron):
            raise ValueError("not a five-field cron expression")
        if cron is not None and len(cron.split()) != 5:
            raise ValueError("five fields: minute hour day-of-month month day-of-week")
        if rule is not None and ("DTSTART" in rule.upper() or "\n" in rule):
            raise ValueError("one RRULE without DTSTART (starts_at says when it starts)")
        if rule is not None and re.search(r"FREQ\s*=\s*(SECONDLY|MINUTELY)", rule.upper()):
            raise ValueError("FREQ=SECONDLY and MINUTELY are not offered (an hour apart at least)")
        first = list(islice(occurrences(cron, rule, zone, starts_at, starts_at - timedelta(seconds=1)), 3))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
        raise LilyError(ErrorCode.VALIDATION_001, "the rule cannot be read", {"reason": str(exc)}) from None
    gaps = [(b - a).total_seconds() for a, b in zip(first, first[1:], strict=False)]
    if gaps and min(gaps) < s.min_interval_s:
        raise invalid(f"occurrences must be at least {s.min_interval_s} s apart", min_interval_s=s.min_interval_s)


def aware(at: datetime | None, zone: ZoneInfo) -> datetime | None:
    if at is None:
        return None
    try:
        return (at if at.tzinfo else at.replace(tzinfo=zone)).astimezone(UTC)
    except OverflowError:
        raise invalid("a date out of range", at=str(at)) from None


def _first_after(rule: RecurringRule, zone: ZoneInfo, after: datetime) -> datetime | None:
    if rule.max_count is not None and int(rule.created_count) >= int(rule.max_count):
        return None
    return next(occurrences(rule.cron, rule.rrule, zone, rule.starts_at, after, rule.until), None)


def _out(rule: RecurringRule, zone_name: str) -> RecurringOut:
    # the rules API's models, imported by the routes that answer with them: the schedule only makes occurrences
    from lily.publishing.schemas import RecurringOut

    zone = ZoneInfo(zone_name)
    upcoming: list[str] = []
    if rule.next_at is not None and rule.status != "ended":
        left = None if rule.max_count is None else int(rule.max_count) - int(rule.created_count)
        ahead = islice(occurrences(rule.cron, rule.rrule, zone, rule.starts_at, rule.next_at - timedelta(seconds=1),
                                   rule.until), 5 if left is None else max(0, min(5, left)))
        upcoming = [a.astimezone(zone).isoformat() for a in ahead]
    return RecurringOut(rule_id=rule.rule_id, name=rule.name, text=rule.text, media_ids=list(rule.media_ids or []),
                        first_comment=rule.first_comment, connection_ids=list(rule.connection_ids), cron=rule.cron,
                        rrule=rule.rrule, timezone=zone_name, starts_at=rule.starts_at, until=rule.until,
                        count=None if rule.max_count is None else int(rule.max_count),
                        created_count=int(rule.created_count), status=rule.status, next_at=rule.next_at,
                        upcoming=upcoming, last_error=rule.last_error)


def check_content(ports: SchedulingPorts, org_id: str, connection_ids: list[str], text: str, media_ids: list[str],
                  first_comment: str | None) -> None:
    """Refuse (422) content that its connections' platforms would refuse, before any post is made of it."""
    gateway = ports.posts.gateway
    if len(set(connection_ids)) != len(connection_ids):
        raise invalid("each connection at most once")
    media, missing = media_items(org_id, media_ids)
    if missing:
        raise invalid("unknown media", media_ids=missing)
    problems: dict[str, list[dict]] = {}
    unknown = []
    for cid in connection_ids:
        conn = gateway.connection(org_id, cid)
        if conn is None:
            unknown.append(cid)
            continue
        found = [p.model_dump() for p in gateway.validate(conn.platform, text, media, first_comment)]
        if found:
            problems[cid] = found
    if unknown:
        raise LilyError(ErrorCode.VALIDATION_004, "connection not found", {"connection_ids": unknown})
    if problems:
        raise LilyError(ErrorCode.CONTENT_001, "the content does not meet its platforms' rules",
                        {"connections": problems})


def create(ports: SchedulingPorts, org_id: str, body: RecurringIn) -> RecurringOut:
    ports.advanced.require(org_id)
    zone_name = ports.zones.zone(org_id)
    zone = ZoneInfo(zone_name)
    now = clock.now()
    starts_at = aware(body.starts_at, zone) or now
    until = aware(body.until, zone)
    if body.count is None and until is None:
        raise invalid("a recurring post needs an end: until, count or both")
    if until is not None and until > now + timedelta(days=publishing_settings().max_schedule_days):
        raise invalid(f"until is more than {publishing_settings().max_schedule_days} days ahead")
    if body.count is not None and body.count > autopost_settings().max_occurrences:
        raise invalid("count too large", max=autopost_settings().max_occurrences)
    _check_rule(body.cron, body.rrule, zone, starts_at)
    check_content(ports, org_id, body.connection_ids, body.text, body.media_ids, body.first_comment)
    rule = RecurringRule(org_id, ids.new_id("rec"), name=body.name.strip(), text=body.text,
                         media_ids=body.media_ids, first_comment=body.first_comment,
                         connection_ids=body.connection_ids, cron=body.cron, rrule=body.rrule, starts_at=starts_at,
                         until=until, max_count=body.count, created_count=0, status="active",
                         created_at=now, updated_at=now, version=1)
    rule.next_at = _first_after(rule, zone, max(now, starts_at - timedelta(seconds=1)))
    if rule.next_at is None:
        raise invalid("the rule has no occurrence between starts_at and its end")
    rule.due_shard, rule.due_sk = DUE, due_sk(rule.next_at, rule.rule_id)
    rule.save(condition=RecurringRule.rule_id.does_not_exist())
    count("publishing_recurring_created_total")
    return _out(rule, zone_name)


def _load(org_id: str, rule_id: str) -> RecurringRule:
    try:
        return RecurringRule.get(org_id, rule_id, consistent_read=True)
    except RecurringRule.DoesNotExist:
        raise not_found("recurring post", rule_id=rule_id) from None


def list_rules(ports: SchedulingPorts, org_id: str, page: PageParams) -> RecurringList:
    from lily.publishing.schemas import RecurringList

    ports.advanced.require(org_id)
    zone = ports.zones.zone(org_id)
    items, cursor = query_page(lambda start, n: RecurringRule.query(org_id, last_evaluated_key=start, limit=n),
                               {"org_id": org_id}, page, lambda r: _out(r, zone))
    return RecurringList(items=items, next_cursor=cursor)


def get(ports: SchedulingPorts, org_id: str, rule_id: str) -> RecurringOut:
    ports.advanced.require(org_id)
    return _out(_load(org_id, rule_id), ports.zones.zone(org_id))


def set_paused(ports: SchedulingPorts, org_id: str, rule_id: str, paused: bool) -> RecurringOut:
    """Pause: no new occurrence is created (those already scheduled stay; cancel them as any post). Resume:
    the next occurrence from now on."""
    ports.advanced.require(org_id)
    zone_name = ports.zones.zone(org_id)
    rule = _load(org_id, rule_id)
    if rule.status == "ended":
        raise conflict("the recurring post has ended", status=rule.status)
    if (rule.status == "paused") == paused:
        return _out(rule, zone_name)
    actions = [RecurringRule.updated_at.set(clock.now()), RecurringRule.version.add(1)]
    if paused:
        actions += [RecurringRule.status.set("paused"), RecurringRule.due_shard.remove(), RecurringRule.due_sk.remove()]
    else:
        nxt = _first_after(rule, ZoneInfo(zone_name), clock.now())
        if nxt is None:
            actions += [RecurringRule.status.set("ended"), RecurringRule.next_at.remove()]
        else:
            actions += [RecurringRule.status.set("active"), RecurringRule.next_at.set(nxt),
                        RecurringRule.due_shard.set(DUE), RecurringRule.due_sk.set(due_sk(nxt, rule.rule_id)),
                        RecurringRule.last_error.remove()]
    if not won(lambda: rule.update(actions=actions, condition=RecurringRule.version == rule.version)):
        raise conflict("the recurring post changed meanwhile; reload it")
    return _out(rule, zone_name)


def delete(ports: SchedulingPorts, org_id: str, rule_id: str) -> None:
    """Forget the rule; posts already created from it stay scheduled (they are ordinary posts)."""
    ports.advanced.require(org_id)
    rule = _load(org_id, rule_id)
    rule.delete()


# ---------------------------------------------------------------- the automation schedule

def _advance(rule: RecurringRule, zone: ZoneInfo, made: bool, error: dict | None) -> bool:
    nxt_count = int(rule.created_count) + (1 if made else 0)
    rule_after = RecurringRule(rule.org_id, rule.rule_id, cron=rule.cron, rrule=rule.rrule, starts_at=rule.starts_at,
                               until=rule.until, max_count=rule.max_count, created_count=nxt_count)
    nxt = _first_after(rule_after, zone, rule.next_at)
    actions = [RecurringRule.created_count.set(nxt_count), RecurringRule.updated_at.set(clock.now()),
               RecurringRule.version.add(1)]
    actions.append(RecurringRule.last_error.set(error) if error else RecurringRule.last_error.remove())
    if nxt is None:
        actions += [RecurringRule.status.set("ended"), RecurringRule.next_at.remove(),
                    RecurringRule.due_shard.remove(), RecurringRule.due_sk.remove()]
    else:
        actions += [RecurringRule.next_at.set(nxt), RecurringRule.due_sk.set(due_sk(nxt, rule.rule_id))]
    cond = (RecurringRule.version == rule.version) & (RecurringRule.status == "active")
    return won(lambda: rule.update(actions=actions, condition=cond))


def _pause_for(rule: RecurringRule, exc: LilyError) -> None:
    won(lambda: rule.update(actions=[
        RecurringRule.status.set("paused"), RecurringRule.due_shard.remove(), RecurringRule.due_sk.remove(),
        RecurringRule.last_error.set({"code": exc.code.value, "message": exc.message}),
        RecurringRule.version.add(1)], condition=RecurringRule.version == rule.version))


def run_due(ports: SchedulingPorts, budget: int) -> dict:
    """Create every occurrence due within the horizon (at most ``budget`` posts); returns counts."""
    s = autopost_settings()
    now = clock.now()
    horizon = now + timedelta(hours=s.horizon_h)
    created = missed = duplicates = refused = 0
    for found in RecurringRule.due.query(DUE, RecurringRule.due_sk <= f"{clock.iso(horizon)}#~"):
        while created < budget:
            try:
                rule = RecurringRule.get(found.org_id, found.rule_id, consistent_read=True)
            except RecurringRule.DoesNotExist:
                break
            if rule.status != "active" or rule.next_at is None or rule.next_at > horizon:
                break
            try:
                ports.advanced.require(rule.org_id)
            except LilyError as exc:  # the plan no longer has advanced scheduling: the rule waits paused
                _pause_for(rule, exc)
                break
            zone = ZoneInfo(ports.zones.zone(rule.org_id))
            made, error = False, None
            if rule.next_at <= now + timedelta(seconds=s.min_lead_s):
                missed += 1
                count("publishing_recurring_missed_total")
                logger.warning("recurring occurrence missed", extra={"rule_id": rule.rule_id,
                                                                     "at": clock.iso(rule.next_at)})
            else:
                content = Content(text=rule.text, connection_ids=list(rule.connection_ids),
                                  media_ids=list(rule.media_ids or []), first_comment=rule.first_comment)
                key = f"{rule.org_id}#rec#{rule.rule_id}#{clock.iso(rule.next_at)}"
                try:
                    result = create_once(ports, rule.org_id, [key], content, source="recurring", at=rule.next_at,
                                         timezone=zone.key)
                except LilyError as exc:  # a connection or a medium is gone: the rule waits, paused
                    _pause_for(rule, exc)
                    break
                if result.busy:
                    break  # another run is making this occurrence: it advances the rule
                made, error = True, result.error
                if result.duplicate:
                    duplicates += 1
                elif error:
                    refused += 1
                else:
                    created += 1
            if not _advance(rule, zone, made, error):
                break  # someone else moved the rule meanwhile (a pause, another run): leave it to them
    return {"recurring_created": created, "recurring_missed": missed, "recurring_duplicates": duplicates,
            "recurring_refused": refused}
