"""Evergreen pools: a set of posts recycled on some connections, one every ``interval_hours``, each item again at
the earliest ``min_gap_days`` after its last time.

The automation schedule (:func:`run_due`) picks the pool's next post when its instant comes within the horizon
(``LILY_AUTOPOST_HORIZON_H``) and makes it an ordinary scheduled post through
:func:`lily.publishing.autopost.create_once` (claimed per pool and instant: a repeated run makes nothing twice).

The pick: among the items whose gap has passed (and that went out fewer than ``max_cycles`` times), the one
that went out longest ago (never first, then in the pool's order). On a platform that refuses a post identical
to an earlier one (``LILY_AUTOPOST_NO_IDENTICAL_TEXT``, X), a text the pool already sent to that account is never
sent there again (the pool records the SHA-256 of every text it sent to such an account, read back from the post
it made). What happens instead is the pool's ``on_duplicate``:

- ``skip``: that connection is skipped for the item; an item with no connection left is not picked.
- ``vary``: the item's text is reworded for that platform through content's rewrite (the
  :class:`lily.publishing.ports.TextVariation` port; one unit of the org's AI quota per rewording, unlike the
  item's earlier rewordings), and the new text is checked against the sent hashes again. It goes to the
  connections that never had it (as the target's own text); where it still repeats, or when the rewording is
  refused (the AI quota, moderation, the provider), the connection is skipped for this turn as with ``skip``.
  An item whose every connection was skipped so has had its turn (``last_at`` moves, ``times`` does not) and the
  reason is the pool's ``last_error``.

The pool stops: paused by hand, or **exhausted** when no item can ever go out again (every item at
``max_cycles``, or, with ``skip``, blocked on every connection by the duplicate rule). When items wait only for
their gap, the pool's next instant moves to the first moment one is free.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from lily.core import clock, ids
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, conflict, invalid, not_found
from lily.core.observability import count
from lily.core.pages import PageParams, query_page
from lily.publishing.autopost import Content, create_once, due_sk
from lily.publishing.autopost_settings import autopost_settings
from lily.publishing.models import EvergreenPool, Post
from lily.publishing.ports import SchedulingPorts, TextVariation
from lily.publishing.recurring import aware, check_content
from lily.publishing.states import targets_of

if TYPE_CHECKING:
    from lily.publishing.schemas import EvergreenIn, EvergreenList, EvergreenOut

DUE = "due"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _out(pool: EvergreenPool) -> EvergreenOut:
    # the pools API's models, imported by the routes that answer with them: the schedule only picks
    from lily.publishing.schemas import EvergreenItemOut, EvergreenOut

    items = [EvergreenItemOut(item_id=i["item_id"], text=i["text"], media_ids=i.get("media_ids") or [],
                              first_comment=i.get("first_comment"),
                              last_at=clock.parse_iso(i["last_at"]) if i.get("last_at") else None,
                              times=int(i.get("times", 0))) for i in pool.items]
    return EvergreenOut(pool_id=pool.pool_id, name=pool.name, connection_ids=list(pool.connection_ids), posts=items,
                        interval_hours=int(pool.interval_hours), min_gap_days=int(pool.min_gap_days),
                        max_cycles=None if pool.max_cycles is None else int(pool.max_cycles),
                        on_duplicate=pool.on_duplicate, status=pool.status, next_at=pool.next_at,
                        last_error=pool.last_error)


def create(ports: SchedulingPorts, org_id: str, body: EvergreenIn) -> EvergreenOut:
    ports.advanced.require(org_id)
    for item in body.posts:
        check_content(ports, org_id, body.connection_ids, item.text, item.media_ids, item.first_comment)
    now = clock.now()
    first = aware(body.starts_at, ZoneInfo(ports.zones.zone(org_id))) or now + timedelta(hours=body.interval_hours)
    if first <= now:
        raise invalid("starts_at must be in the future")
    pool = EvergreenPool(org_id, ids.new_id("evg"), name=body.name.strip(), connection_ids=body.connection_ids,
                         items=[{"item_id": ids.new_id("evi"), "text": i.text, "media_ids": i.media_ids,
                                 "first_comment": i.first_comment, "last_at": None, "times": 0} for i in body.posts],
                         interval_hours=body.interval_hours, min_gap_days=body.min_gap_days,
                         max_cycles=body.max_cycles, on_duplicate=body.on_duplicate, sent={}, status="active",
                         next_at=first, due_shard=DUE, created_at=now, updated_at=now, version=1)
    pool.due_sk = due_sk(first, pool.pool_id)
    pool.save(condition=EvergreenPool.pool_id.does_not_exist())
    count("publishing_evergreen_created_total")
    return _out(pool)


def _load(org_id: str, pool_id: str) -> EvergreenPool:
    try:
        return EvergreenPool.get(org_id, pool_id, consistent_read=True)
    except EvergreenPool.DoesNotExist:
        raise not_found("evergreen pool", pool_id=pool_id) from None


def list_pools(ports: SchedulingPorts, org_id: str, page: PageParams) -> EvergreenList:
    from lily.publishing.schemas import EvergreenList

    ports.advanced.require(org_id)
    items, cursor = query_page(lambda start, n: EvergreenPool.query(org_id, last_evaluated_key=start, limit=n),
                               {"org_id": org_id}, page, _out)
    return EvergreenList(items=items, next_cursor=cursor)


def get(ports: SchedulingPorts, org_id: str, pool_id: str) -> EvergreenOut:
    ports.advanced.require(org_id)
    return _out(_load(org_id, pool_id))


def set_paused(ports: SchedulingPorts, org_id: str, pool_id: str, paused: bool) -> EvergreenOut:
    ports.advanced.require(org_id)
    pool = _load(org_id, pool_id)
    if pool.status == "exhausted":
        raise conflict("the pool is exhausted", status=pool.status)
    if (pool.status == "paused") == paused:
        return _out(pool)
    now = clock.now()
    actions = [EvergreenPool.updated_at.set(now), EvergreenPool.version.add(1)]
    if paused:
        actions += [EvergreenPool.status.set("paused"), EvergreenPool.due_shard.remove(),
                    EvergreenPool.due_sk.remove()]
    else:
        nxt = max(pool.next_at or now, now + timedelta(hours=int(pool.interval_hours)))
        actions += [EvergreenPool.status.set("active"), EvergreenPool.next_at.set(nxt),
                    EvergreenPool.due_shard.set(DUE), EvergreenPool.due_sk.set(due_sk(nxt, pool.pool_id))]
    if not won(lambda: pool.update(actions=actions, condition=EvergreenPool.version == pool.version)):
        raise conflict("the pool changed meanwhile; reload it")
    return _out(pool)


def delete(ports: SchedulingPorts, org_id: str, pool_id: str) -> None:
    """Forget the pool; posts already scheduled from it stay (they are ordinary posts)."""
    ports.advanced.require(org_id)
    _load(org_id, pool_id).delete()


# ---------------------------------------------------------------- the pick

def _blocked(pool: EvergreenPool, platforms: dict[str, str], item: dict) -> set[str]:
    """Connections the duplicate rule keeps this item's text from."""
    guarded = set(autopost_settings().no_identical_text)
    h = text_hash(item["text"])
    return {cid for cid, platform in platforms.items()
            if platform in guarded and h in (pool.sent or {}).get(cid, [])}


def pick(pool: EvergreenPool, platforms: dict[str, str],
         at: datetime) -> tuple[dict | None, list[str], datetime | None]:
    """``(item, connections, None)`` to post at ``at``; ``(None, [], when)`` when none is free before ``when``;
    ``(None, [], None)`` when the pool is exhausted. With ``vary`` the duplicate rule removes no connection here
    (:func:`_varied` does, after the rewording)."""
    vary = pool.on_duplicate == "vary"
    gap = timedelta(days=int(pool.min_gap_days))
    cap = None if pool.max_cycles is None else int(pool.max_cycles)
    ready, later = [], []
    for index, item in enumerate(pool.items):
        if cap is not None and int(item.get("times", 0)) >= cap:
            continue
        blocked = set() if vary else _blocked(pool, platforms, item)
        conns = [c for c in pool.connection_ids if c not in blocked]
        if not conns:
            continue
        last = clock.parse_iso(item["last_at"]) if item.get("last_at") else None
        if last is None or at - last >= gap:
            ready.append((last or datetime.min.replace(tzinfo=at.tzinfo), index, item, conns))
        else:
            later.append(last + gap)
    if ready:
        _, _, item, conns = min(ready, key=lambda r: (r[0], r[1]))
        return item, conns, None
    return None, [], min(later) if later else None


def _varied(pool: EvergreenPool, variation: TextVariation, platforms: dict[str, str], item: dict,
            conns: list[str]) -> tuple[list[str], dict[str, str], dict | None]:
    """``vary``: the item's connections that may have it (``conns`` less those still refused), the reworded text of
    each connection that gets one, and why some were skipped (None: none was)."""
    blocked = _blocked(pool, platforms, item) & set(conns)
    if not blocked:
        return conns, {}, None
    sent = pool.sent or {}
    texts: dict[str, str] = {}
    skipped: dict | None = None
    for platform in sorted({platforms[c] for c in blocked}):
        mine = sorted(c for c in blocked if platforms[c] == platform)
        earlier = [item["text"], *(item.get("variants") or [])]
        try:
            text = variation.vary(pool.org_id, platform, item["text"], earlier).strip()
        except LilyError as exc:  # the AI quota, moderation, the provider: skipped as with ``skip``
            skipped = {"code": exc.code.value, "message": f"the rewording for {platform} was refused: {exc.message}",
                       "connection_ids": mine}
            count("publishing_evergreen_variations_total", outcome="refused")
            continue
        if text and text not in earlier:
            item["variants"] = [*(item.get("variants") or []), text][-5:]
        h = text_hash(text)
        fresh = [c for c in mine if text and h not in sent.get(c, [])]
        texts |= {c: text for c in fresh}
        if len(fresh) < len(mine):
            skipped = {"code": ErrorCode.CONTENT_001.value, "reason": "duplicate_text",
                       "message": f"the rewording for {platform} repeats a text already sent",
                       "connection_ids": sorted(set(mine) - set(fresh))}
        count("publishing_evergreen_variations_total", outcome="varied" if fresh else "repeated")
    return [c for c in conns if c not in blocked or c in texts], texts, skipped


def _record(pool: EvergreenPool, item_id: str, at: datetime, post_id: str, platforms: dict[str, str]) -> None:
    """The pool after ``item_id`` went out at ``at`` as ``post_id``: its time, and the texts sent where the duplicate
    rule applies (read from the post's targets, the texts that really went out)."""
    guarded = set(autopost_settings().no_identical_text)
    post = Post.get(pool.org_id, post_id, consistent_read=True)
    sent = {k: list(v) for k, v in (pool.sent or {}).items()}
    for t in targets_of(post_id):
        if platforms.get(t.connection_id) in guarded:
            h = text_hash(t.text if t.text is not None else post.text or "")
            sent.setdefault(t.connection_id, [])
            if h not in sent[t.connection_id]:
                sent[t.connection_id].append(h)
    pool.sent = sent
    for item in pool.items:
        if item["item_id"] == item_id:
            item["last_at"] = clock.iso(at)
            item["times"] = int(item.get("times", 0)) + 1


def _save(pool: EvergreenPool, version: int, nxt: datetime | None, exhausted: bool, error: dict | None) -> bool:
    actions = [EvergreenPool.items.set(pool.items), EvergreenPool.sent.set(pool.sent or {}),
               EvergreenPool.updated_at.set(clock.now()), EvergreenPool.version.add(1),
               EvergreenPool.last_error.set(error) if error else EvergreenPool.last_error.remove()]
    if exhausted:
        actions += [EvergreenPool.status.set("exhausted"), EvergreenPool.next_at.remove(),
                    EvergreenPool.due_shard.remove(), EvergreenPool.due_sk.remove()]
    else:
        actions += [EvergreenPool.next_at.set(nxt), EvergreenPool.due_sk.set(due_sk(nxt, pool.pool_id))]
    cond = (EvergreenPool.version == version) & (EvergreenPool.status == "active")
    return won(lambda: pool.update(actions=actions, condition=cond))


def _turn_passed(pool: EvergreenPool, item_id: str, at: datetime) -> None:
    """Every connection of the item was skipped (``vary`` refused or repeated): its turn passed, unsent."""
    for item in pool.items:
        if item["item_id"] == item_id:
            item["last_at"] = clock.iso(at)


def run_due(ports: SchedulingPorts, variation: TextVariation, budget: int) -> dict:
    """Make the posts of every active pool whose next instant is within the horizon (at most ``budget``);
    ``variation``: the rewording of ``vary`` pools."""
    s = autopost_settings()
    now = clock.now()
    horizon = now + timedelta(hours=s.horizon_h)
    created = exhausted = refused = 0
    for found in EvergreenPool.due.query(DUE, EvergreenPool.due_sk <= f"{clock.iso(horizon)}#~"):
        while created < budget:
            try:
                pool = EvergreenPool.get(found.org_id, found.pool_id, consistent_read=True)
            except EvergreenPool.DoesNotExist:
                break
            if pool.status != "active" or pool.next_at is None or pool.next_at > horizon:
                break
            version, at = int(pool.version), pool.next_at
            try:
                ports.advanced.require(pool.org_id)
                platforms = {}
                for cid in pool.connection_ids:
                    conn = ports.posts.gateway.connection(pool.org_id, cid)
                    if conn is not None:
                        platforms[cid] = conn.platform
            except LilyError as exc:
                _pause(pool, exc)
                break
            step = timedelta(hours=int(pool.interval_hours))
            if at <= now + timedelta(seconds=s.min_lead_s):  # the schedule was late: start again from now
                _save(pool, version, now + step, False, None)
                continue
            item, conns, free_at = pick(pool, platforms, at)
            if item is None:
                done = free_at is None
                exhausted += done
                _save(pool, version, None if done else max(free_at, at + step), done, None)
                break
            conns = [c for c in conns if c in platforms]
            texts, skipped = {}, None
            if pool.on_duplicate == "vary":
                conns, texts, skipped = _varied(pool, variation, platforms, item, conns)
                if not conns:
                    _turn_passed(pool, item["item_id"], at)
                    if not _save(pool, version, at + step, False, skipped):
                        break
                    continue
            content = Content(text=item["text"], connection_ids=conns, media_ids=list(item.get("media_ids") or []),
                              first_comment=item.get("first_comment"), texts=texts)
            key = f"{pool.org_id}#evg#{pool.pool_id}#{clock.iso(at)}"
            try:
                made = create_once(ports, pool.org_id, [key], content, source="evergreen", at=at)
            except LilyError as exc:
                _pause(pool, exc)
                break
            if made.busy:
                break
            if made.post_id is not None:
                _record(pool, item["item_id"], at, made.post_id, platforms)
            refused += made.error is not None
            created += not made.duplicate and made.error is None
            if not _save(pool, version, at + step, False, made.error or skipped):
                break
    return {"evergreen_created": created, "evergreen_exhausted": exhausted, "evergreen_refused": refused}


def _pause(pool: EvergreenPool, exc: LilyError) -> None:
    won(lambda: pool.update(actions=[
        EvergreenPool.status.set("paused"), EvergreenPool.due_shard.remove(), EvergreenPool.due_sk.remove(),
        EvergreenPool.last_error.set({"code": exc.code.value, "message": exc.message}),
        EvergreenPool.version.add(1)], condition=EvergreenPool.version == pool.version))
