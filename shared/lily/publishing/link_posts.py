"""Which posts carry which short links: a post's text (and its targets' own texts) naming a short link of its org
adds the post's id to the link (``ShortLink.post_ids``), when the post is created or its text edited. Analytics
reads it to count clicks per post (a link carried by two posts counts for each).

Only the org's own links are touched (the update is conditional on the link's org): a text quoting another org's
short link attributes nothing. A text without the short domain costs nothing (no read, no write).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lily.core.db import won
from lily.publishing.links import short_base
from lily.publishing.models import ShortLink


def codes_in(texts: Iterable[str | None]) -> set[str]:
    """The short-link codes the texts carry (links on the short domain)."""
    base = short_base()
    pattern = re.compile(re.escape(base) + r"/([23456789a-zA-Z]{8})(?![23456789a-zA-Z])")
    return {code for text in texts if text and base in text for code in pattern.findall(text)}


def attach(org_id: str, post_id: str, texts: Iterable[str | None]) -> int:
    """Record ``post_id`` on each of the org's links its texts carry; returns how many links."""
    attached = 0
    for code in sorted(codes_in(texts)):
        attached += won(lambda c=code: ShortLink(c).update(actions=[ShortLink.post_ids.add({post_id})],
                                                           condition=ShortLink.org_id == org_id))
    return attached
