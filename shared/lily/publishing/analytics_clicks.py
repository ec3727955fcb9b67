"""Publishing's implementation of analytics' :class:`lily.analytics.ports.LinkClicks`: the org's short links' click
days (one Query of the ``by_org`` index of ``publishing_link_clicks``) and the links themselves (BatchGetItem of
``publishing_links``, kept only when the link is the org's)."""

from __future__ import annotations

from lily.analytics.ports import ClickDay, ShortLinkInfo
from lily.publishing.links import short_base
from lily.publishing.models import LinkClickDay, ShortLink


class OrgLinkClicks:
    def days(self, org_id: str, first: str, last: str) -> list[ClickDay]:
        return [ClickDay(code=d.code, day=d.day, clicks=int(d.clicks or 0))
                for d in LinkClickDay.by_org.query(org_id, LinkClickDay.day.between(first, last))]

    def links(self, org_id: str, codes: list[str]) -> dict[str, ShortLinkInfo]:
        base = short_base()
        return {link.code: ShortLinkInfo(code=link.code, short_url=f"{base}/{link.code}", url=link.url,
                                         platform=link.platform, campaign=link.campaign,
                                         post_ids=tuple(sorted(link.post_ids or ())))
                for link in ShortLink.batch_get(codes) if link.org_id == org_id}
