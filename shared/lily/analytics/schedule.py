"""Fan out a collection run: one queue message per active connection.

The schedule fires hourly: at ``daily_hour_utc`` (02:00, PRODUCT.md) it collects every target published in the
last ``collect_days``; the other hours only those younger than ``young_hours`` (48 h), when engagement moves
fastest. ``POST .../analytics/refresh`` runs the same for one org. A run's id names its hour (or, on demand, its
quarter hour): a message delivered twice, or a refresh asked twice within a quarter hour, collects each target
once (see :mod:`lily.analytics.collect`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lily.analytics.messages import CollectMessage, send_all
from lily.analytics.ports import AnalyticsPorts
from lily.analytics.settings import analytics_settings
from lily.core import clock
from lily.core.observability import count, logger

if TYPE_CHECKING:
    from lily.analytics.schemas import RefreshOut


def _fan_out(ports: AnalyticsPorts, org_id: str | None, run_id: str, since: datetime) -> tuple[int, int]:
    messages = [CollectMessage(org_id=c.org_id, connection_id=c.connection_id, platform=c.platform, run_id=run_id,
                               since=since) for c in ports.connections.active(org_id)]
    refused = send_all(messages) if messages else 0
    if refused:
        count("analytics_fan_out_refused_total", value=refused)
    return len(messages), refused


def tick(ports: AnalyticsPorts, now: datetime | None = None) -> dict:
    """The hourly schedule: every connection, daily window at the daily hour, young posts otherwise."""
    s = analytics_settings()
    now = now or clock.now()
    daily = now.hour == s.daily_hour_utc
    since = now - (timedelta(days=s.collect_days) if daily else timedelta(hours=s.young_hours))
    run_id = f"{'daily' if daily else 'hourly'}-{now:%Y%m%d%H}"
    sent, refused = _fan_out(ports, None, run_id, since)
    logger.info("analytics run fanned out", extra={"run_id": run_id, "messages": sent, "refused": refused})
    return {"messages": sent, "refused": refused}


def refresh(ports: AnalyticsPorts, org_id: str) -> RefreshOut:
    """On demand for one org: its connections, the daily window."""
    from lily.analytics.schemas import RefreshOut  # the HTTP route's model; the hourly schedule does not build it

    s = analytics_settings()
    now = clock.now()
    run_id = f"refresh-{now:%Y%m%d%H}{now.minute // 15}"
    sent, refused = _fan_out(ports, org_id, run_id, now - timedelta(days=s.collect_days))
    return RefreshOut(run_id=run_id, connections=sent - refused)
