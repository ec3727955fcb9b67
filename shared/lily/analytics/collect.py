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
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from lily.analytics.messages import CollectMessage, send_all
from lily.analytics.models import COUNTS, AnalyticsPost, AnalyticsSnapshot, instant_key, published_key, series_key
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


def _runs(org_id: str, since: datetime) -> dict[str, str | None]:
    """The run that last collected each of the org's targets published since ``since`` (one paged Query)."""
    return {p.target_id: p.last_run for p in AnalyticsPost.query(
        org_id, AnalyticsPost.published_key >= instant_key(since),
        attributes_to_get=["target_id", "last_run"])}


def _save(ports: AnalyticsPorts, msg: CollectMessage, t: PublishedTarget, counts: Counts, history_days: int) -> None:
    now = clock.now()
    values = {name: getattr(counts, name) for name in COUNTS}
    AnalyticsSnapshot(series_key(msg.org_id, t.post_id), f"{t.target_id}#{instant_key(now)}", target_id=t.target_id,
                      platform=t.platform, taken_at=now, expires_at=now + timedelta(days=history_days),
                      **values).save()
    AnalyticsPost(msg.org_id, published_key(t.published_at, t.target_id), target_id=t.target_id, post_id=t.post_id,
                  connection_id=t.connection_id, platform=t.platform, platform_post_id=t.platform_post_id,
                  published_at=t.published_at, collected_at=now, last_run=msg.run_id, **values).save()


def process(ports: AnalyticsPorts, msg: CollectMessage) -> str:
    """Collect what this run has not collected yet for the message's connection; returns what happened."""
    settings = analytics_settings()
    history_days = settings.history_days.get(ports.plan.level(msg.org_id), 30)
    targets = ports.targets.of_connection(msg.org_id, msg.connection_id, msg.since)
    runs = _runs(msg.org_id, msg.since) if targets else {}
    done = failed = 0
    for t in targets:
        if runs.get(t.target_id) == msg.run_id:
            continue  # collected before this message was redelivered
        if done or failed:
            time.sleep(settings.call_interval_s)
        try:
            counts = ports.metrics.read(msg.org_id, msg.connection_id, msg.platform, t.platform_post_id)
        except TokenRefused as exc:
            ports.metrics.needs_reauth(msg.org_id, msg.connection_id, str(exc) or "token refused")
            count("analytics_collect_total", outcome="needs_reauth", platform=msg.platform)
            return "needs_reauth"
        except ConnectionInactive:
            return "inactive"
        except RateLimited as exc:
            wait = MAX_DELAY_S if exc.reset_at is None else int(exc.reset_at - clock.now_ts()) + 1
            send_all([msg], delay_s=max(1, min(MAX_DELAY_S, wait)))
            count("analytics_collect_total", outcome="rate_limited", platform=msg.platform)
            logger.info("analytics collection paused by a 429",
                        extra={"org_id": msg.org_id, "connection_id": msg.connection_id, "collected": done})
            return "rate_limited"
        except MetricsUnavailable:  # this target only: the others go on, the message is redelivered
            failed += 1
            continue
        _save(ports, msg, t, counts, history_days)
        done += 1
    count("analytics_collect_total", outcome="failed" if failed else "collected", platform=msg.platform)
    if failed:
        raise LilyError(ErrorCode.SOCIAL_007, "some metrics could not be read; the message is retried",
                        {"connection_id": msg.connection_id, "failed": failed, "collected": done}, retryable=True)
    return f"collected {done}"
