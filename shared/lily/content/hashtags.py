"""Hashtags: normalisation, order-preserving de-duplication, brand defaults and platform limits.

``normalise`` turns ``"remote work"``, ``"#RemoteWork"`` or ``"＃remote_work"`` into one ``#Word`` form
(letters, digits and underscores; at least one letter, as X and Instagram require); two tags that differ
only in case are the same tag (the first spelling wins). Limits: Instagram's cap comes from the social
settings (facts §2.9: the API says 30, the product now 5), X and the others use a small editorial cap,
and on X a tag is only kept while the post still fits 280 weighted characters.
"""

from __future__ import annotations

import re
import unicodedata

from lily.social.constraints import rules_for

_JOIN = re.compile(r"[\s\-]+")
_VALID = re.compile(r"^\w*[^\W\d_]\w*$", re.UNICODE)
# Editorial caps (more tags read as spam); Instagram's comes from the platform rules.
EDITORIAL_CAP = {"x": 2, "facebook": 3, "linkedin": 5, "instagram": 10}


def normalise(tag: str) -> str | None:
    """``#Word`` form, or None when nothing of a hashtag is left."""
    text = unicodedata.normalize("NFKC", tag).strip().lstrip("#").strip()
    if not text:
        return None
    words = [w for w in _JOIN.split(text) if w]
    body = "".join(w[:1].upper() + w[1:] for w in words) if len(words) > 1 else text
    body = re.sub(r"[^\w]", "", body)
    return "#" + body if body and _VALID.match(body) and len(body) <= 100 else None


def dedupe(tags: list[str]) -> list[str]:
    """Normalised, first occurrence kept (case-insensitive), order preserved."""
    seen: set[str] = set()
    out = []
    for tag in tags:
        norm = normalise(tag)
        if norm and norm.casefold() not in seen:
            seen.add(norm.casefold())
            out.append(norm)
    return out


def limit_for(platform: str) -> int:
    cap = EDITORIAL_CAP[platform]
    platform_max = rules_for(platform).max_hashtags
    return min(cap, platform_max) if platform_max is not None else cap


def select(platform: str, generated: list[str], brand_defaults: list[str], text: str = "") -> list[str]:
    """The tags to append to ``text`` on ``platform``: brand defaults first, then generated ones, without
    those already in the text, up to the platform's limit."""
    present = {t.casefold() for t in dedupe(re.findall(r"#\w+", text))}
    tags = [t for t in dedupe(brand_defaults + generated) if t.casefold() not in present]
    return tags[: max(0, limit_for(platform) - len(present))]
