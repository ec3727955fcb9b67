"""Brand-consistency score (0–100) with its reasons.

Checks, each with its points: brand keywords present (30), no banned word (20) and no avoided word (10)
— a hit of either flags the draft —, length against the platform's sweet spot (20), voice (10): similarity to
the brand's example posts in an embedding space (:mod:`lily.content.voice`, measured independently of the
generator; the tone markers it replaced were the sandbox's own phrases, so they agreed by construction), emoji
policy (10). Words match whole words on :func:`lily.content.normalize.match_key` of both sides
(invisible characters removed, NFKC, look-alikes folded, casefolded).
"""

from __future__ import annotations

import re

from lily.content.normalize import match_key
from lily.content.schemas import BrandIn, Reason, Score
from lily.social.constraints import text_length

# Engagement sweet spots in characters (editorial data; X counts weighted characters).
SWEET_SPOT = {"x": (70, 200), "facebook": (40, 400), "instagram": (120, 900), "linkedin": (500, 2000)}
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff]")


def _has(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(match_key(word))}(?!\w)", match_key(text)) is not None


def hits_of(text: str, brand: BrandIn) -> tuple[list[str], list[str]]:
    """(banned words found, avoided words found)."""
    return [w for w in brand.banned_words if _has(text, w)], [w for w in brand.avoid if _has(text, w)]


def voice_points(voice: float | None, brand: BrandIn) -> Reason:
    from lily.content.settings import content_settings

    if not brand.example_posts:
        return Reason(check="voice", ok=True, points=10, detail="no example posts to compare the voice with")
    if voice is None:
        return Reason(check="voice", ok=True, points=10, detail="voice not measured (the embedding was unavailable)")
    s = content_settings()
    share = min(1.0, max(0.0, (voice - s.voice_floor) / (s.voice_full - s.voice_floor)))
    points = round(10 * share)
    return Reason(check="voice", ok=points >= 5, points=points,
                  detail=f"similarity {voice:.2f} to the brand's example posts (0 points at {s.voice_floor}, "
                         f"10 at {s.voice_full})")


def score(text: str, platform: str, brand: BrandIn, tone: str | None = None, voice: float | None = None) -> Score:
    """``voice``: the draft's similarity to the brand's example posts (:func:`lily.content.voice.similarities`)."""
    reasons: list[Reason] = []

    if brand.keywords:
        present = [k for k in brand.keywords if _has(text, k)]
        share = len(present) / len(brand.keywords)
        points = round(30 * min(1.0, share * 2))  # half the keywords earn full marks
        reasons.append(Reason(check="keywords", ok=bool(present), points=points,
                              detail=f"{len(present)}/{len(brand.keywords)} brand keywords present"
                                     + (f": {', '.join(present)}" if present else "")))
    else:
        reasons.append(Reason(check="keywords", ok=True, points=30, detail="no brand keywords set"))

    banned, avoided = hits_of(text, brand)
    reasons.append(Reason(check="banned_words", ok=not banned, points=0 if banned else 20,
                          detail=f"banned: {', '.join(banned)}" if banned else "no banned words"))
    reasons.append(Reason(check="avoid", ok=not avoided, points=0 if avoided else 10,
                          detail=f"avoided: {', '.join(avoided)}" if avoided else "nothing from the avoid list"))

    lo, hi = SWEET_SPOT[platform]
    length = text_length(platform, text)
    if lo <= length <= hi:
        points, detail = 20, f"{length} characters, inside the {platform} sweet spot {lo}–{hi}"
    else:
        off = (lo - length) / lo if length < lo else (length - hi) / hi
        points = max(0, round(20 * (1 - off)))
        detail = f"{length} characters, {'under' if length < lo else 'over'} the {platform} sweet spot {lo}–{hi}"
    reasons.append(Reason(check="length", ok=lo <= length <= hi, points=points, detail=detail))

    reasons.append(voice_points(voice, brand))

    emoji = len(_EMOJI.findall(text))
    allowed = {"none": 0, "sparse": 2, "free": 1_000}[brand.emoji_policy]
    reasons.append(Reason(check="emoji", ok=emoji <= allowed, points=10 if emoji <= allowed else 0,
                          detail=f"{emoji} emoji; policy {brand.emoji_policy} allows {min(allowed, 99)}"))

    flagged = bool(banned or avoided)
    return Score(score=max(0, min(100, sum(r.points for r in reasons))), flagged=flagged, hits=banned + avoided,
                 reasons=reasons)
