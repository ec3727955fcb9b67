"""Make a text valid for a platform, checked by the same validator publishing uses.

- X: 280 weighted characters (URLs 23, emoji 2; :func:`lily.social.constraints.x_weighted_length`). A
  thread (or a long post) is split on sentence boundaries, then words, into parts numbered `` 1/3``;
  :func:`join_thread` gives the source text back. A single post is shortened at a sentence boundary.
- Instagram: 2,200 characters and the hashtag cap; Facebook 63,206; LinkedIn 3,000 counted after
  "little text" escaping (the LinkedIn adapter escapes on publish, so the escaped text must fit).
- The brand's CTA is kept, emoji are removed under the ``none`` policy, hashtags are appended within the
  platform's limit (:mod:`lily.content.hashtags`).

Media rules (Instagram needs an image) are checked when the post is scheduled, not on a text draft.
"""

from __future__ import annotations

import re

from lily.content import hashtags as tags_of
from lily.core.errors import ErrorCode, LilyError
from lily.social.constraints import Violation, rules_for, text_length, violations
from lily.social.platforms.linkedin import escape_little_text

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d]")
# The validator's own patterns (lily.social.constraints), so the caps count what it counts.
_HASHTAG = re.compile(r"(?:^|(?<=[^\w&]))#(\w*[^\W\d_]\w*)", re.UNICODE)
_MENTION = re.compile(r"(?:^|(?<=[^\w]))@(\w{1,30})")
ELLIPSIS = "…"


def squash(text: str) -> str:
    """Whitespace normalised: paragraphs kept (blank line), runs of spaces collapsed."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip())]
    return "\n\n".join(p for p in paragraphs if p)


def problems(platform: str, text: str) -> list[Violation]:
    """The validator's violations of a text draft (media rules excepted), plus LinkedIn's escaped length."""
    found = [v for v in violations(platform, text) if v.rule not in ("media_required",)]
    if platform == "linkedin":
        escaped = len(escape_little_text(text))
        limit = rules_for("linkedin").max_text
        if escaped > limit and not any(v.rule == "text_length" for v in found):
            found.append(Violation(rule="text_length", message=f"escaped text is {escaped} long; linkedin allows "
                                                               f"{limit}", limit=limit, actual=escaped))
    return found


def fits(platform: str, text: str) -> bool:
    return not problems(platform, text)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]


# ---------------------------------------------------------------- threads


def _units(text: str, budget: int) -> list[str]:
    """Sentences; a sentence longer than the budget becomes its words; a word longer, slices of it."""
    out: list[str] = []
    for sentence in sentences(text):
        if text_length("x", sentence) <= budget:
            out.append(sentence)
            continue
        for word in sentence.split(" "):
            while text_length("x", word) > budget:
                cut = len(word)
                while cut > 1 and text_length("x", word[:cut]) > budget:
                    cut -= 1
                out.append(word[:cut])
                word = word[cut:]
            if word:
                out.append(word)
    return out


def _pack(units: list[str], budget: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current} {unit}" if current else unit
        if text_length("x", candidate) <= budget:
            current = candidate
        else:
            chunks.append(current)
            current = unit
    if current:
        chunks.append(current)
    return chunks


def split_thread(text: str, limit: int | None = None) -> list[str]:
    """X parts of at most ``limit`` weighted characters, each ending `` i/n`` (one part: no number)."""
    limit = limit or rules_for("x").max_text
    text = " ".join(text.split())
    if text_length("x", text) <= limit:
        return [text]
    n = 2
    while True:
        budget = limit - len(f" {n}/{n}")
        chunks = _pack(_units(text, budget), budget)
        if len(str(len(chunks))) <= len(str(n)):
            break
        n = len(chunks)
    return [f"{c} {i}/{len(chunks)}" for i, c in enumerate(chunks, 1)]


def join_thread(parts: list[str]) -> str:
    """The text a thread was split from (parts split inside an over-long word rejoin with a space)."""
    if len(parts) == 1:
        return parts[0]
    return " ".join(p.rsplit(" ", 1)[0] for p in parts)


# ---------------------------------------------------------------- single posts


def shorten(platform: str, text: str, keep_tail: str = "") -> str:
    """The longest run of leading sentences that fits with ``keep_tail``; else words and an ellipsis."""
    tail = f" {keep_tail}" if keep_tail else ""
    kept = ""
    for sentence in sentences(text):
        candidate = f"{kept} {sentence}" if kept else sentence
        if not fits(platform, candidate + tail):
            break
        kept = candidate
    if kept:
        return kept + tail
    words = text.split()
    while words and not fits(platform, " ".join(words) + ELLIPSIS + tail):
        words.pop()
    return (" ".join(words) + ELLIPSIS if words else "") + tail if words else keep_tail


def strip_emoji(text: str) -> str:
    return re.sub(r"[ \t]{2,}", " ", _EMOJI.sub("", text)).strip()


def _cap(pattern: re.Pattern, sign: str, cap: int | None, text: str) -> str:
    """Beyond ``cap`` matches, ``#tag`` / ``@name`` lose their sign and become plain words."""
    if cap is None:
        return text
    seen = 0

    def keep(m: re.Match) -> str:
        nonlocal seen
        seen += 1
        return m.group(0) if seen <= cap else m.group(0).replace(sign, "", 1)

    return pattern.sub(keep, text)


def _cap_tags_and_mentions(platform: str, text: str) -> str:
    text = _cap(_HASHTAG, "#", tags_of.limit_for(platform), text)
    return _cap(_MENTION, "@", rules_for(platform).max_mentions, text)


def fit(platform: str, text: str, *, structure: str = "single_post", hashtags: list[str] | None = None,
        brand_hashtags: list[str] | None = None, cta: str | None = None, emoji_policy: str = "free",
        ) -> tuple[list[str], list[str]]:
    """``(parts, hashtags used)``: the text made valid for ``platform`` (several parts only for an X thread)."""
    body = squash(text)
    if emoji_policy == "none":
        body = strip_emoji(body)
    if cta and cta.casefold() not in body.casefold():
        body = f"{body} {cta}".strip()
    body = _cap_tags_and_mentions(platform, body)
    chosen = tags_of.select(platform, hashtags or [], brand_hashtags or [], body)
    tag_line = " ".join(chosen)
    if platform == "x" and structure in ("thread", "long_post"):
        parts = split_thread(f"{body} {tag_line}".strip())
    else:
        joiner = " " if platform == "x" else "\n\n"
        full = f"{body}{joiner}{tag_line}" if tag_line else body
        while chosen and not fits(platform, full):
            chosen.pop()
            tag_line = " ".join(chosen)
            full = f"{body}{joiner}{tag_line}" if tag_line else body
        if not fits(platform, full):
            full = shorten(platform, body, keep_tail=cta or "")
            kept: list[str] = []
            for tag in tags_of.select(platform, hashtags or [], brand_hashtags or [], full):
                if fits(platform, f"{full}{joiner}{' '.join([*kept, tag])}"):
                    kept.append(tag)
            chosen = kept
            full = f"{full}{joiner}{' '.join(kept)}" if kept else full
        parts = [full]
    for part in parts:
        found = problems(platform, part)
        if found:
            raise LilyError(ErrorCode.CONTENT_001, found[0].message,
                            {"platform": platform, "violations": [v.model_dump() for v in found]})
    return parts, chosen
