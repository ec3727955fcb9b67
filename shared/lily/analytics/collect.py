"""Collect one connection's metrics for one run (one queue message): each published target's counts through
the platform's ``metrics`` call, stored as a snapshot (expiring after the org's history window) and as the
target's latest totals.

Failure rules, so that one org or one platform never stops another (each connection is its own message):
- a target already collected by this run (``last_run``) is skipped: a redelivered message resumes where it stopped;
- a refused token marks the connection ``needs_reauth`` (social's notices path) and ends the message;
- a 429 ends the message and sends it again, delayed until the platform's reset (at most SQS's 15 minutes);
- another failure on a target lets the others go on, then fails the message so SQS redelivers it (the DLQ keeps
  it after ``max_receive_count``); the redelivery collects only what is missing.
Calls of one connection are paced ``call_interval_s`` apart.

The daily run and a refresh also store the connection's follower count of the day (one platform call). A target
seen for the first time gets its origin (template, tone, structure of the draft it was saved from; whether an AI
image is attached) through the content and media ports; later collections carry it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from lily.analytics.messages import CollectMessage, send_all
from lily.analytics.models import (
    COUNTS,
    AnalyticsFollowers,
    AnalyticsPost,
    AnalyticsSnapshot,
    instant_key,
    published_key,
    series_key,
)
from lily.analytics.ports import (
    AnalyticsPorts,
    ConnectionInactive,
    Counts,
    MetricsUnavailable,
    PublishedTarget,
    RateLimited,
    TokenRefused,
)
from lily.analytics.settings import analytics_settings
from lily.core import clock
from lily.core.errors import ErrorCode, LilyError
from lily.core.observability import count, logger

MAX_DELAY_S = 900  # SQS's longest message delay


ORIGIN_FIELDS = ("template_id", "tone", "structure", "ai_image")
FOLLOWER_RUNS = ("daily", "refresh")  # runs that also take the connection's follower count of the day


def _known(org_id: str, since: datetime) -> dict[str, AnalyticsPost]:
    """The org's targets published since ``since`` as stored (the run that last collected each, and its origin):
    one paged Query."""
    return {p.target_id: p for p in AnalyticsPost.query(
        org_id, AnalyticsPost.published_key >= instant_key(since),
        attributes_to_get=["target_id", "last_run", *ORIGIN_FIELDS])}


def _origins(ports: AnalyticsPorts, org_id: str, new: list[PublishedTarget]) -> dict[str, dict]:
    """Template, tone, structure and AI image of targets seen for the first time (read once, then carried)."""
    if not new:
        return {}
    made = ports.origins.of_posts(org_id, sorted({t.post_id for t in new}))
    media = sorted({m for t in new for m in t.media_ids})
    generated = ports.media.generated(org_id, media) if media else set()
    out = {}
    for t in new:
        o = made.get((t.post_id, t.platform))
        out[t.target_id] = {"template_id": o.template_id if o else None, "tone": o.tone if o else None,
                            "structure": o.structure if o else None,
                            "ai_image": any(m in generated for m in t.media_ids)}
    return out


def _save(msg: CollectMessage, t: PublishedTarget, counts: Counts, history_days: int, origin: dict) -> None:
    now = clock.now()
    values = {name: getattr(counts, name) for name in COUNTS}
    AnalyticsSnapshot(series_key(msg.org_id, t.post_id), f"{t.target_id}#{instant_key(now)}", target_id=t.target_id,
                      platform=t.platform, taken_at=now, expires_at=now + timedelta(days=history_days),
                      **values).save()
    AnalyticsPost(msg.org_id, published_key(t.published_at, t.target_id), target_id=t.target_id, post_id=t.post_id,
                  connection_id=t.connection_id, platform=t.platform, platform_post_id=t.platform_post_id,
                  published_at=t.published_at, collected_at=now, last_run=msg.run_id, **values, **origin).save()


def _followers(ports: AnalyticsPorts, msg: CollectMessage, history_days: int) -> None:
    """The connection's follower count of the (UTC) day: one platform call, one PutItem (a rerun overwrites it)."""
    n = ports.metrics.followers(msg.org_id, msg.connection_id, msg.platform)
    if n is None:
        return
    now = clock.now()
    day = now.strftime("%Y-%m-%d")
    AnalyticsFollowers(msg.org_id, f"{day}#{msg.connection_id}", connection_id=msg.connection_id,
                       platform=msg.platform, day=day, followers=int(n), collected_at=now,
                       expires_at=now + timedelta(days=history_days)).save()


def _paused(msg: CollectMessage, exc: RateLimited, done: int) -> str:
    wait = MAX_DELAY_S if exc.reset_at is None else int(exc.reset_at - clock.now_ts()) + 1
    send_all([msg], delay_s=max(1, min(MAX_DELAY_S, wait)))
    count("analytics_collect_total", outcome="rate_limited", platform=msg.platform)
    logger.info("analytics collection paused by a 429",
                extra={"org_id": msg.org_id, "connection_id": msg.connection_id, "collected": done})
    return "rate_limited"


def _reauth(ports: AnalyticsPorts, msg: CollectMessage, exc: TokenRefused) -> str:
    ports.metrics.needs_reauth(msg.org_id, msg.connection_id, str(exc) or "token refused")
    count("analytics_collect_total", outcome="needs_reauth", platform=msg.platform)
    return "needs_reauth"


def process(ports: AnalyticsPorts, msg: CollectMessage) -> str:
    """Collect what this run has not collected yet for the message's connection; returns what happened."""
    settings = analytics_settings()
    history_days = settings.history_days.get(ports.plan.level(msg.org_id), 30)
    try:
        if msg.run_id.startswith(FOLLOWER_RUNS):
            _followers(ports, msg, history_days)
    except TokenRefused as exc:
        return _reauth(ports, msg, exc)
    except ConnectionInactive:
        return "inactive"
    except RateLimited as exc:
        return _paused(msg, exc, 0)
    except MetricsUnavailable:  # the posts' counts matter more: go on; tomorrow's run takes the count
        logger.info("follower count unavailable", extra={"org_id": msg.org_id, "connection_id": msg.connection_id})
    targets = ports.targets.of_connection(msg.org_id, msg.connection_id, msg.since)
    known = _known(msg.org_id, msg.since) if targets else {}
    origins = _origins(ports, msg.org_id, [t for t in targets if t.target_id not in known])
    done = failed = 0
    for t in targets:
        stored = known.get(t.target_id)
        if stored is not None and stored.last_run == msg.run_id:
            continue  # collected before this message was redelivered
        if done or failed:
            time.sleep(settings.call_interval_s)
        try:
            counts = ports.metrics.read(msg.org_id, msg.connection_id, msg.platform, t.platform_post_id)
        except TokenRefused as exc:
            return _reauth(ports, msg, exc)
        except ConnectionInactive:
            return "inactive"
        except RateLimited as exc:
            return _paused(msg, exc, done)
        except MetricsUnavailable:  # this target only: the others go on, the message is redelivered
            failed += 1
            continue
        origin = origins.get(t.target_id) or {f: getattr(stored, f, None) for f in ORIGIN_FIELDS}
        _save(msg, t, counts, history_days, origin)
        done += 1
    count("analytics_collect_total", outcome="failed" if failed else "collected", platform=msg.platform)
    if failed:
        raise LilyError(ErrorCode.SOCIAL_007, "some metrics could not be read; the message is retried",
                        {"connection_id": msg.connection_id, "failed": failed, "collected": done}, retryable=True)
    return f"collected {done}"
