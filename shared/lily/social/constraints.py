"""Per-platform content rules as data, and the one validator the scheduler uses.

X length is twitter-text v3's weighted count (facts §1.9): code points in U+0000–U+10FF,
U+2000–U+200D, U+2010–U+201F, U+2032–U+2037 weigh 1, everything else 2; any URL counts 23; an emoji
(with its modifiers, variation selectors and ZWJ sequence) counts 2; text is NFC-normalised first.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal

from pydantic import Field

from lily.core.errors import ErrorCode, LilyError
from lily.core.fields import NotABool
from lily.core.schema import Schema

MB = 1024 * 1024
# The platforms Lily publishes to: an enum wherever the API takes one (path parameters included), so a client and
# the OpenAPI document know the four values.
Platform = Literal["x", "facebook", "instagram", "linkedin"]


class MediaRule(Schema):
    types: list[str]
    max_bytes: int


class PlatformRules(Schema):
    platform: str
    max_text: int
    counting: str = Field("chars", description="chars | x_weighted")
    url_length: int | None = Field(None, description="Every URL counts this many (X: 23)")
    max_hashtags: int | None = None
    max_mentions: int | None = None
    max_media: int = 0
    requires_media: bool = False
    mixed_media: bool = Field(False, description="Images and a video in the same post")
    max_videos: int = 1
    image: MediaRule | None = None
    gif: MediaRule | None = None
    video: MediaRule | None = None
    source: str = ""


RULES: dict[str, PlatformRules] = {
    "x": PlatformRules(
        platform="x",
        max_text=280,
        counting="x_weighted",
        url_length=23,
        max_media=4,
        image=MediaRule(types=["image/jpeg", "image/png", "image/webp"], max_bytes=5 * MB),
        gif=MediaRule(types=["image/gif"], max_bytes=15 * MB),
        video=MediaRule(types=["video/mp4", "video/quicktime"], max_bytes=512 * MB),
        source="facts §1.4, §1.9 (twitter-text v3; media introduction)",
    ),
    "facebook": PlatformRules(
        platform="facebook",
        max_text=63206,
        max_media=10,
        image=MediaRule(types=["image/jpeg", "image/png", "image/gif", "image/webp"], max_bytes=10 * MB),
        video=MediaRule(types=["video/mp4", "video/quicktime"], max_bytes=1024 * MB),
        source="facts §2.9 (63,206 chars, secondary); media sizes UNVERIFIED",
    ),
    "instagram": PlatformRules(
        platform="instagram",
        max_text=2200,
        max_hashtags=30,
        max_mentions=20,
        max_media=10,
        requires_media=True,
        mixed_media=True,
        max_videos=10,
        image=MediaRule(types=["image/jpeg"], max_bytes=8 * MB),
        video=MediaRule(types=["video/mp4", "video/quicktime"], max_bytes=300 * MB),
        source="facts §2.4, §2.9 (2,200 chars, 30 hashtags, 20 mentions, 8 MiB image, carousel ≤10)",
    ),
    "linkedin": PlatformRules(
        platform="linkedin",
        max_text=3000,
        max_media=20,
        image=MediaRule(types=["image/jpeg", "image/png", "image/gif"], max_bytes=36 * MB),
        video=MediaRule(types=["video/mp4"], max_bytes=500 * MB),
        source="facts §3.3, §3.8 (3,000 chars UNVERIFIED)",
    ),
}


def rules_for(platform: str) -> PlatformRules:
    rules = RULES[platform]
    if platform == "instagram":
        from lily.social.settings import social_settings

        rules = rules.model_copy(update={"max_hashtags": social_settings().instagram_hashtag_limit})
    return rules


# ---------------------------------------------------------------- X weighted length

_URL = re.compile(
    r"(?:https?://[^\s<>\"]+)"
    r"|(?<![\w@.])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|org|net|io|ai|co|dev|app|me|ly|gl|uk|de|fr|es|it|nl|"
    r"info|biz|tv|us|ca|au|in|jp|eu|xyz|tech|blog|shop|news)(?:/[^\s<>\"]*)?(?![\w])",
    re.IGNORECASE,
)
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_HASHTAG = re.compile(r"(?:^|(?<=[^\w&]))#(\w*[^\W\d_]\w*)", re.UNICODE)
_MENTION = re.compile(r"(?:^|(?<=[^\w]))@(\w{1,30})")


def _weight(cp: int) -> int:
    return 1 if any(lo <= cp <= hi for lo, hi in _LIGHT) else 2


def _is_emoji(cp: int) -> bool:
    return (0x1F000 <= cp <= 0x1FAFF) or (0x2600 <= cp <= 0x27BF) or (0x2B00 <= cp <= 0x2BFF) or cp in (0x00A9, 0x00AE)


def _is_emoji_modifier(cp: int) -> bool:
    return cp in (0xFE0F, 0xFE0E, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F


def _count_plain(text: str) -> int:
    total, i, cps = 0, 0, [ord(c) for c in text]
    while i < len(cps):
        cp = cps[i]
        if _is_emoji(cp) or (0x1F1E6 <= cp <= 0x1F1FF):
            i += 1
            if 0x1F1E6 <= cp <= 0x1F1FF and i < len(cps) and 0x1F1E6 <= cps[i] <= 0x1F1FF:
                i += 1  # a flag: two regional indicators
            while i < len(cps) and (_is_emoji_modifier(cps[i]) or cps[i] == 0x200D):
                if cps[i] == 0x200D and i + 1 < len(cps):
                    i += 2  # ZWJ joins the next emoji into the same sequence
                else:
                    i += 1
            total += 2
            continue
        total += _weight(cp)
        i += 1
    return total


def x_weighted_length(text: str) -> int:
    """The length X counts (280 max): NFC, URLs 23, emoji 2, CJK 2."""
    text = unicodedata.normalize("NFC", text)
    total, last = 0, 0
    for m in _URL.finditer(text):
        total += _count_plain(text[last : m.start()]) + 23
        last = m.end()
    return total + _count_plain(text[last:])


def text_length(platform: str, text: str) -> int:
    rules = RULES[platform]
    if rules.counting == "x_weighted":
        return x_weighted_length(text)
    return len(unicodedata.normalize("NFC", text))


# ---------------------------------------------------------------- the validator


class MediaInfo(Schema):
    content_type: str
    size_bytes: Annotated[int, Field(ge=0), NotABool]


class Violation(Schema):
    rule: str
    message: str
    limit: int | str | None = None
    actual: int | str | None = None


def violations(platform: str, text: str, media: list[MediaInfo] | None = None) -> list[Violation]:
    """Every rule ``text`` and ``media`` break on ``platform`` (empty when the post is fine)."""
    rules = rules_for(platform)
    media = media or []
    out: list[Violation] = []
    length = text_length(platform, text)
    if length > rules.max_text:
        out.append(
            Violation(
                rule="text_length",
                message=f"text is {length} long; {platform} allows {rules.max_text}",
                limit=rules.max_text,
                actual=length,
            )
        )
    if not text.strip() and not media:
        out.append(Violation(rule="empty", message="a post needs text or media"))
    if rules.max_hashtags is not None:
        n = len(_HASHTAG.findall(text))
        if n > rules.max_hashtags:
            out.append(
                Violation(
                    rule="hashtags",
                    message=f"{n} hashtags; {platform} allows {rules.max_hashtags}",
                    limit=rules.max_hashtags,
                    actual=n,
                )
            )
    if rules.max_mentions is not None:
        n = len(_MENTION.findall(text))
        if n > rules.max_mentions:
            out.append(
                Violation(
                    rule="mentions",
                    message=f"{n} mentions; {platform} allows {rules.max_mentions}",
                    limit=rules.max_mentions,
                    actual=n,
                )
            )
    if rules.requires_media and not media:
        out.append(Violation(rule="media_required", message=f"{platform} posts need an image or a video"))
    if len(media) > rules.max_media:
        out.append(
            Violation(
                rule="media_count",
                message=f"{len(media)} media; {platform} allows {rules.max_media}",
                limit=rules.max_media,
                actual=len(media),
            )
        )
    kinds = []
    for i, m in enumerate(media):
        rule, kind = _media_rule(rules, m.content_type)
        if rule is None:
            out.append(
                Violation(
                    rule="media_type",
                    message=f"media {i}: {m.content_type} is not accepted on {platform}",
                    actual=m.content_type,
                )
            )
            continue
        kinds.append(kind)
        if m.size_bytes > rule.max_bytes:
            out.append(
                Violation(
                    rule="media_size",
                    message=f"media {i}: {m.size_bytes} bytes; max {rule.max_bytes}",
                    limit=rule.max_bytes,
                    actual=m.size_bytes,
                )
            )
    if not rules.mixed_media and len(kinds) > 1 and ({"video", "gif"} & set(kinds)):
        out.append(Violation(rule="media_mix", message=f"{platform} allows one video or GIF alone, or only images"))
    if kinds.count("video") > rules.max_videos:
        out.append(
            Violation(
                rule="video_count",
                message=f"{platform} allows {rules.max_videos} video(s)",
                limit=rules.max_videos,
                actual=kinds.count("video"),
            )
        )
    return out


def _media_rule(rules: PlatformRules, content_type: str) -> tuple[MediaRule | None, str]:
    for kind in ("gif", "image", "video"):
        rule: MediaRule | None = getattr(rules, kind)
        if rule and content_type in rule.types:
            return rule, kind
    return None, ""


def validate(platform: str, text: str, media: list[MediaInfo] | None = None) -> None:
    """Raise ``CONTENT_001`` listing every violation; the scheduler calls this before queueing a post."""
    found = violations(platform, text, media)
    if found:
        raise LilyError(
            ErrorCode.CONTENT_001,
            found[0].message,
            {"platform": platform, "violations": [v.model_dump() for v in found]},
        )
