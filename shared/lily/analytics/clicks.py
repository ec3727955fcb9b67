"""Short-link clicks in analytics: per link, per post and per day, for the org's own links only.

The ``links`` function counts every redirect of a short link on the link's UTC day (``publishing_link_clicks``,
keyed by code, with the link's org). A period (the plan's history, like every table) covers the UTC days from its
start's to its end's; one Query of the org's click days (:class:`lily.analytics.ports.LinkClicks`), then the
links it names read in one batch. Per post: a link counts for each post whose text carries it (publishing records
the post on the link when the post is created or its text edited); a link no post carries counts only per link
and per day. Clicks are counted redirects (a visitor who clicks twice counts twice; visitors are hashed per day on
the link's own stats, never here). Every plan with analytics has the tables (``basic``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from lily.analytics import report
from lily.analytics.ports import ClickDay, ClickPorts
from lily.analytics.schemas import (
    ClickDayRow,
    ClickDays,
    ClickLinkRow,
    ClickLinks,
    ClickPostRow,
    ClickPosts,
    PeriodOut,
)

LEVEL = "basic"


def period(ports: ClickPorts, org_id: str, start: datetime | None, end: datetime | None) -> PeriodOut:
    ports.plan.require(org_id, LEVEL)
    return report.period(ports.plan, org_id, start, end)


def _days(ports: ClickPorts, org_id: str, p: PeriodOut) -> list[ClickDay]:
    return ports.clicks.days(org_id, p.start.date().isoformat(), p.end.date().isoformat())


def by_link(ports: ClickPorts, org_id: str, p: PeriodOut) -> ClickLinks:
    clicks: dict[str, int] = defaultdict(int)
    for d in _days(ports, org_id, p):
        clicks[d.code] += d.clicks
    links = ports.clicks.links(org_id, sorted(clicks))
    rows = [ClickLinkRow(code=code, short_url=info.short_url, url=info.url, platform=info.platform,
                         campaign=info.campaign, posts=len(info.post_ids), clicks=clicks[code])
            for code, info in links.items()]
    rows.sort(key=lambda r: (-r.clicks, r.code))
    return ClickLinks(period=p, total_clicks=sum(r.clicks for r in rows), rows=rows)


def by_post(ports: ClickPorts, org_id: str, p: PeriodOut) -> ClickPosts:
    clicks: dict[str, int] = defaultdict(int)
    for d in _days(ports, org_id, p):
        clicks[d.code] += d.clicks
    per_post: dict[str, list[str]] = defaultdict(list)
    carried = 0
    for code, info in ports.clicks.links(org_id, sorted(clicks)).items():
        carried += clicks[code] if info.post_ids else 0
        for post_id in info.post_ids:
            per_post[post_id].append(code)
    rows = [ClickPostRow(post_id=post_id, links=len(codes), clicks=sum(clicks[c] for c in codes))
            for post_id, codes in per_post.items()]
    rows.sort(key=lambda r: (-r.clicks, r.post_id))
    return ClickPosts(period=p, total_clicks=carried, rows=rows)


def by_day(ports: ClickPorts, org_id: str, p: PeriodOut) -> ClickDays:
    clicks: dict[str, int] = defaultdict(int)
    links: dict[str, set[str]] = defaultdict(set)
    for d in _days(ports, org_id, p):
        clicks[d.day] += d.clicks
        links[d.day].add(d.code)
    rows = [ClickDayRow(day=day, links=len(links[day]), clicks=clicks[day]) for day in sorted(clicks)]
    return ClickDays(period=p, total_clicks=sum(r.clicks for r in rows), rows=rows)
