"""Feeds that post themselves: an organization's RSS or Atom feed, read every ``cadence_minutes`` through the one
SSRF guard (:mod:`lily.core.safe_http`: public addresses only, pinned connection, size and time limits) and parsed
by ``feedparser``; each new item whose title or summary passes the keyword filters becomes a post, filled from
the feed's template (``{title}``, ``{link}``, ``{summary}``): a **draft**, or a post in a posting queue's next
free slot (``mode: queue``: scheduled, so it takes the posts/day quota like any schedule), or an **approval
request** (``mode: approval``): the post waits in the org's approval queue (``GET .../approvals``, origin
``feed``), asked for ``approval_lead_minutes`` after the poll read the item; it is published only when an approver
approves it (then scheduled, taking the posts/day quota), and never when rejected. An approver who decides after
that instant gives a new one, as for any waiting post.

**Posted once.** An item is claimed under its GUID *and* its link, both in one transaction conditional on
their absence (:func:`lily.publishing.autopost.create_once`): a feed that reorders its items, changes their
dates, repeats one, or republishes it under a new GUID with the same link makes nothing new. The first poll
marks the items the feed already holds as seen (``backfill`` of the newest are posted), so adding a feed does not
flood the accounts with its archive.

**Caps.** At most ``daily_cap`` posts per day of the org's zone; new items past it wait for the next day's poll
(they are not claimed yet). When the posts/day quota refuses the schedule, the post stays a draft (said in
``last_error``) and the poll stops there.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

import feedparser

from lily.core import clock, ids, safe_http
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, conflict, invalid, not_found
from lily.core.observability import count, logger
from lily.core.pages import PageParams, query_page
from lily.publishing.autopost import Content, create_once, due_sk
from lily.publishing.autopost_settings import AutopostSettings, autopost_settings
from lily.publishing.models import AutoFeed, AutopostClaim, Queue
from lily.publishing.ports import ApprovalGate, SchedulingPorts
from lily.publishing.post_schemas import FeedPollOut
from lily.publishing.recurring import check_content

if TYPE_CHECKING:
    from lily.publishing.schemas import FeedIn, FeedList, FeedOut

DUE = "due"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"


class Item(NamedTuple):
    guid: str
    link: str
    title: str
    summary: str
    published: datetime | None


def policy(s: AutopostSettings) -> safe_http.FetchPolicy:
    return safe_http.FetchPolicy(allowed_private=tuple(s.feed_allowed_private), https_only=False,
                                 max_bytes=s.feed_max_bytes, total_timeout_s=s.feed_timeout_s, max_redirects=3,
                                 user_agent="LilyFeeds/1.0 (+autopost)")


def read(url: str) -> list[Item]:
    """The feed's items, newest first as the feed lists them; raises :class:`safe_http.Refused`."""
    s = autopost_settings()
    try:
        answer = safe_http.fetch("GET", url, policy=policy(s), headers={"Accept": ACCEPT})
    except ValueError:  # urlsplit's: a malformed URL (an unclosed IPv6 bracket)
        raise safe_http.Refused("not a URL") from None
    if answer.status_code != 200:
        raise safe_http.Refused(f"the feed answered {answer.status_code}")
    parsed = feedparser.parse(answer.body)
    if parsed.bozo and not parsed.entries:
        raise safe_http.Refused("not an RSS or Atom feed")
    out = []
    for e in parsed.entries[:s.feed_max_items]:
        link = (e.get("link") or "").strip()
        guid = (e.get("id") or e.get("guid") or link).strip()
        if not guid and not link:
            continue
        when = e.get("published_parsed") or e.get("updated_parsed")
        out.append(Item(guid=guid or link, link=link or guid, title=(e.get("title") or "").strip(),
                        summary=_plain(e.get("summary") or ""),
                        published=datetime.fromtimestamp(calendar.timegm(when), UTC) if when else None))
    return out


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text))).strip()


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:40]


def keys(org_id: str, feed_id: str, item: Item) -> list[str]:
    """The claims of an item: its GUID and its link (normalised: no fragment, no trailing slash)."""
    link = item.link.split("#", 1)[0].rstrip("/")
    return [f"{org_id}#feed#{feed_id}#guid#{_sha(item.guid)}", f"{org_id}#feed#{feed_id}#link#{_sha(link)}"]


def passes(item: Item, include: list[str], exclude: list[str]) -> bool:
    hay = f"{item.title} {item.summary}".casefold()
    if any(word.casefold() in hay for word in exclude):
        return False
    return not include or any(word.casefold() in hay for word in include)


def render(template: str, item: Item) -> str:
    return (template.replace("{title}", item.title).replace("{link}", item.link)
            .replace("{summary}", item.summary)).strip()


def _out(feed: AutoFeed) -> FeedOut:
    # the feeds API's models, imported by the routes that answer with them: the schedule only polls
    from lily.publishing.schemas import FeedOut

    return FeedOut(feed_id=feed.feed_id, url=feed.url, connection_ids=list(feed.connection_ids),
                   template=feed.template, include=list(feed.include or []), exclude=list(feed.exclude or []),
                   mode=feed.mode, queue_id=feed.queue_id, cadence_minutes=int(feed.cadence_minutes),
                   approval_lead_minutes=int(feed.approval_lead_minutes or 0) or None,
                   daily_cap=int(feed.daily_cap), status=feed.status, next_at=feed.next_at,
                   last_polled_at=feed.last_polled_at, created_total=int(feed.created_total or 0),
                   last_error=feed.last_error)


def create(ports: SchedulingPorts, org_id: str, body: FeedIn) -> FeedOut:
    """Add a feed: the URL is fetched once now (a private address, a non-feed or an error answers 422)."""
    ports.advanced.require(org_id)
    s = autopost_settings()
    if body.cadence_minutes < s.feed_min_cadence_minutes:
        raise invalid(f"cadence_minutes is at least {s.feed_min_cadence_minutes}")
    if body.mode == "queue":
        if body.queue_id is None:
            raise invalid("mode queue needs a queue_id")
        try:
            queue = Queue.get(org_id, body.queue_id)
        except Queue.DoesNotExist:
            raise not_found("queue", queue_id=body.queue_id) from None
        outside = sorted(set(body.connection_ids) - set(queue.connection_ids))
        if outside:
            raise invalid("the queue does not serve these connections", connection_ids=outside)
    sample = Item(guid="x", link="https://example.com/a", title="Title", summary="Summary", published=None)
    check_content(ports, org_id, body.connection_ids, render(body.template, sample), [], None)
    try:
        read(body.url)
    except safe_http.Refused as exc:
        raise LilyError(ErrorCode.VALIDATION_001, "the feed cannot be read", {"url": body.url,
                                                                              "reason": exc.reason}) from None
    now = clock.now()
    feed = AutoFeed(org_id, ids.new_id("fed"), url=body.url, connection_ids=body.connection_ids,
                    template=body.template, include=body.include, exclude=body.exclude, mode=body.mode,
                    queue_id=body.queue_id if body.mode == "queue" else None, cadence_minutes=body.cadence_minutes,
                    daily_cap=body.daily_cap,
                    approval_lead_minutes=body.approval_lead_minutes if body.mode == "approval" else None,
                    backfill=body.backfill, baseline_done=False, posted_today=0, status="active", next_at=now,
                    due_shard=DUE, created_total=0, created_at=now, updated_at=now, version=1)
    feed.due_sk = due_sk(now, feed.feed_id)
    feed.save(condition=AutoFeed.feed_id.does_not_exist())
    count("publishing_feeds_created_total")
    return _out(feed)


def _load(org_id: str, feed_id: str) -> AutoFeed:
    try:
        return AutoFeed.get(org_id, feed_id, consistent_read=True)
    except AutoFeed.DoesNotExist:
        raise not_found("feed", feed_id=feed_id) from None


def list_feeds(ports: SchedulingPorts, org_id: str, page: PageParams) -> FeedList:
    from lily.publishing.schemas import FeedList

    ports.advanced.require(org_id)
    items, cursor = query_page(lambda start, n: AutoFeed.query(org_id, last_evaluated_key=start, limit=n),
                               {"org_id": org_id}, page, _out)
    return FeedList(items=items, next_cursor=cursor)


def get(ports: SchedulingPorts, org_id: str, feed_id: str) -> FeedOut:
    ports.advanced.require(org_id)
    return _out(_load(org_id, feed_id))


def set_paused(ports: SchedulingPorts, org_id: str, feed_id: str, paused: bool) -> FeedOut:
    ports.advanced.require(org_id)
    feed = _load(org_id, feed_id)
    if (feed.status == "paused") == paused:
        return _out(feed)
    now = clock.now()
    actions = [AutoFeed.updated_at.set(now), AutoFeed.version.add(1)]
    if paused:
        actions += [AutoFeed.status.set("paused"), AutoFeed.due_shard.remove(), AutoFeed.due_sk.remove()]
    else:
        actions += [AutoFeed.status.set("active"), AutoFeed.next_at.set(now), AutoFeed.due_shard.set(DUE),
                    AutoFeed.due_sk.set(due_sk(now, feed.feed_id))]
    if not won(lambda: feed.update(actions=actions, condition=AutoFeed.version == feed.version)):
        raise conflict("the feed changed meanwhile; reload it")
    return _out(feed)


def delete(ports: SchedulingPorts, org_id: str, feed_id: str) -> None:
    """Forget the feed; its claims stay, so the same feed added again under a new id starts with a baseline."""
    ports.advanced.require(org_id)
    _load(org_id, feed_id).delete()


def _seen(claims: list[str], *, done_only: bool = True) -> bool:
    """Some claim of the item exists (and is done: a half-made one is finished by :func:`create_once`)."""
    for key in claims:
        try:
            claim = AutopostClaim.get(key, consistent_read=True)
        except AutopostClaim.DoesNotExist:
            continue
        if claim.state == "done" or not done_only:
            return True
    return False


def _mark_seen(org_id: str, claims: list[str], now: datetime) -> None:
    """Claims without a post: what the feed held when it was added is never posted later."""
    for key in claims:
        won(lambda k=key: AutopostClaim(k, org_id=org_id, post_id="-", source="feed", state="done",
                                        outcome="baseline", created_at=now).save(
            condition=AutopostClaim.key.does_not_exist()))


def poll(ports: SchedulingPorts, gate: Callable[[], ApprovalGate], feed: AutoFeed) -> FeedPollOut:
    """Read the feed once and make its new items into posts (see the module doc); ``gate`` builds the approval
    workflow that ``mode: approval`` submits to (only such a feed builds it)."""
    org_id, now = feed.org_id, clock.now()
    zone = ZoneInfo(ports.zones.zone(org_id))
    today = now.astimezone(zone).date().isoformat()
    posted_today = int(feed.posted_today or 0) if feed.day == today else 0
    result = FeedPollOut(feed_id=feed.feed_id, entries=0, created=[], seen=0, filtered=0, capped=0)
    error: dict | None = None
    try:
        items = read(feed.url)
    except safe_http.Refused as exc:
        items, error = [], {"code": ErrorCode.VALIDATION_001.value, "message": "the feed cannot be read",
                            "reason": exc.reason}
        result.refused = error
        count("publishing_feed_polls_failed_total")
    result.entries = len(items)
    baseline = not feed.baseline_done and error is None
    # oldest first: a cap leaves the newest for later, and posts go out in the feed's own order
    ordered = sorted(enumerate(items), key=lambda p: (p[1].published or datetime.min.replace(tzinfo=UTC), -p[0]))
    backfill = {id(i) for _, i in ordered[-int(feed.backfill or 0):]} if baseline and feed.backfill else set()
    content_base = {"connection_ids": list(feed.connection_ids)}
    how: dict = {}
    if feed.mode == "queue":
        how = {"queue_id": feed.queue_id}
    elif feed.mode == "approval":
        how = {"approval_gate": gate(), "at": now + timedelta(minutes=int(feed.approval_lead_minutes or 60)),
               "timezone": ports.zones.zone(org_id)}
    for _, item in ordered:
        claims = keys(org_id, feed.feed_id, item)
        if not passes(item, list(feed.include or []), list(feed.exclude or [])):
            result.filtered += 1
            continue
        if baseline and id(item) not in backfill:
            _mark_seen(org_id, claims, now)
            result.seen += 1
            continue
        if _seen(claims):
            result.seen += 1
            continue
        if posted_today >= int(feed.daily_cap):
            result.capped += 1
            continue
        made = create_once(ports, org_id, claims, Content(text=render(feed.template, item), **content_base),
                           source="feed", **how)
        if made.duplicate or made.busy:
            result.seen += 1
            continue
        posted_today += 1
        result.created.append(made.post_id)
        if made.error is not None:
            error = made.error
            if made.error.get("code") == ErrorCode.PLAN_002.value:
                break  # the posts/day quota is used up: the rest waits for the next poll
    nxt = now + timedelta(minutes=int(feed.cadence_minutes))
    actions = [AutoFeed.last_polled_at.set(now), AutoFeed.day.set(today), AutoFeed.posted_today.set(posted_today),
               AutoFeed.created_total.add(len(result.created)), AutoFeed.updated_at.set(now),
               AutoFeed.last_error.set(error) if error else AutoFeed.last_error.remove()]
    if feed.status == "active":
        actions += [AutoFeed.next_at.set(nxt), AutoFeed.due_sk.set(due_sk(nxt, feed.feed_id))]
    if baseline:
        actions.append(AutoFeed.baseline_done.set(True))
    feed.update(actions=actions)
    count("publishing_feed_items_posted_total", len(result.created))
    logger.info("feed polled", extra={"feed_id": feed.feed_id, "entries": result.entries,
                                      "posts_made": len(result.created), "seen": result.seen})
    return result


def poll_now(ports: SchedulingPorts, gate: Callable[[], ApprovalGate], org_id: str, feed_id: str) -> FeedPollOut:
    ports.advanced.require(org_id)
    return poll(ports, gate, _load(org_id, feed_id))


def run_due(ports: SchedulingPorts, gate: Callable[[], ApprovalGate], budget: int) -> dict:
    """Poll every active feed whose time has come."""
    now = clock.now()
    polled = failed = created = 0
    for found in AutoFeed.due.query(DUE, AutoFeed.due_sk <= f"{clock.iso(now)}#~"):
        if created >= budget:
            break
        try:
            feed = AutoFeed.get(found.org_id, found.feed_id, consistent_read=True)
        except AutoFeed.DoesNotExist:
            continue
        if feed.status != "active" or feed.next_at is None or feed.next_at > now:
            continue
        try:
            ports.advanced.require(feed.org_id)
        except LilyError as exc:
            feed.update(actions=[AutoFeed.status.set("paused"), AutoFeed.due_shard.remove(), AutoFeed.due_sk.remove(),
                                 AutoFeed.last_error.set({"code": exc.code.value, "message": exc.message})])
            continue
        out = poll(ports, gate, feed)
        polled += 1
        failed += out.refused is not None
        created += len(out.created)
    return {"feeds_polled": polled, "feeds_failed": failed, "feed_posts": created}
