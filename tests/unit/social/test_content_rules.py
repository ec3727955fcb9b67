"""Content rules at their exact limits, on both sides: X's weighted length (URLs, emoji, flags, skin tones,
CJK), text/hashtag/mention/media limits, media types, sizes and mixes, and validate() as the scheduler calls it."""

from __future__ import annotations

import pytest

from lily.core.errors import LilyError
from lily.social.constraints import MediaInfo, Violation, text_length, validate, violations, x_weighted_length

MB = 1024 * 1024
JPEG, PNG, GIF, MP4 = "image/jpeg", "image/png", "image/gif", "video/mp4"


def media(*types: str, size: int = 1) -> list[MediaInfo]:
    return [MediaInfo(content_type=t, size_bytes=size) for t in types]


def dumps(found: list[Violation]) -> list[dict]:
    return [v.model_dump() for v in found]


# ---------------------------------------------------------------- X weighted length


@pytest.mark.parametrize(("text", "length"), [
    ("see https://a.example.com/x and https://b.example.com/y", 4 + 23 + 5 + 23),  # two URLs: 23 each
    ("https://a.com https://b.com", 23 + 1 + 23),
    ("lily.ai/pricing now", 23 + 4),  # a bare domain is a URL too
    ("🇫🇷", 2), ("🇫🇷🇩🇪", 4), ("🇦🇿", 2), ("🇿🇦", 2), ("🇫🇷x", 3),  # flags: two regional indicators
    ("🇫", 2), ("x🇫", 3), ("👍🇦", 4), ("🈀🇦", 4), ("🇦🈀", 4),  # a lone indicator is one emoji
    ("ab🇦🇿", 4),
    ("👍🏻", 2), ("👍🏽", 2), ("👍🏿", 2), ("a👍🏽b", 4), ("👍🏽a", 3), ("👍🐀", 4),  # skin tones
    ("❤️", 2), ("☺︎", 2), ("⬜⃣", 2),  # variation selectors, enclosing keycap
    ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 2),  # England: a tag sequence
    ("🏴\U000e0020\U000e007f", 2), ("🏴\U000e0080", 4),
    ("👩‍👩‍👧‍👦", 2), ("👍\u200d", 2), ("a👍", 3), ("👍a", 3), ("ab👍", 4),  # ZWJ sequences
    ("©", 2), ("®", 2), ("™", 2), ("ª", 1),
    ("\u2000\u2010\u2032", 3), ("\u10ff\u200d\u201f\u2037", 4), ("\x00", 1),  # weight-1 ranges, ends included
    ("\u1100\u200e\u2020\u2038", 8),  # just outside them: 2 each
    ("日本語", 6), ("café", 4), ("cafe\u0301", 4),
])
def test_x_weighted_length(text, length):
    assert x_weighted_length(text) == length


@pytest.mark.parametrize(("cp", "emoji"), [
    (0x1F000, True), (0x1FAFF, True), (0x1EFFF, False), (0x1FB00, False),
    (0x2600, True), (0x27BF, True), (0x25FF, False), (0x27C0, False),
    (0x2B00, True), (0x2BFF, True), (0x2AFF, False), (0x2C00, False),
])
def test_emoji_blocks_are_exact(cp, emoji):
    """An emoji takes its variation selector with it (2); anything else counts the selector apart (2 + 2)."""
    assert x_weighted_length(chr(cp) + "\ufe0f") == (2 if emoji else 4)


def test_other_platforms_count_nfc_characters():
    assert text_length("linkedin", "cafe\u0301 👍") == 6
    assert text_length("x", "a" * 10) == 10


# ---------------------------------------------------------------- limits, both sides


def test_x_text_limit_is_280_weighted():
    assert violations("x", "a" * 280) == []
    assert dumps(violations("x", "a" * 281)) == [
        {"rule": "text_length", "message": "text is 281 long; x allows 280", "limit": 280, "actual": 281}]
    assert violations("x", "日" * 140) == []
    assert [v.rule for v in violations("x", "日" * 140 + "a")] == ["text_length"]


@pytest.mark.parametrize(("platform", "limit"), [("linkedin", 3000), ("instagram", 2200), ("facebook", 63206)])
def test_text_limits_of_the_other_platforms(platform, limit):
    jpeg = media(JPEG)
    assert violations(platform, "a" * limit, jpeg) == []
    assert dumps(violations(platform, "a" * (limit + 1), jpeg)) == [{
        "rule": "text_length", "message": f"text is {limit + 1} long; {platform} allows {limit}",
        "limit": limit, "actual": limit + 1}]


def test_instagram_hashtag_limit():
    jpeg = media(JPEG)
    assert violations("instagram", " ".join(f"#t{i}" for i in range(30)), jpeg) == []
    assert dumps(violations("instagram", " ".join(f"#t{i}" for i in range(31)), jpeg)) == [
        {"rule": "hashtags", "message": "31 hashtags; instagram allows 30", "limit": 30, "actual": 31}]


def test_instagram_mention_limit():
    jpeg = media(JPEG)
    assert violations("instagram", " ".join(f"@u{i}" for i in range(20)), jpeg) == []
    assert dumps(violations("instagram", " ".join(f"@u{i}" for i in range(21)), jpeg)) == [
        {"rule": "mentions", "message": "21 mentions; instagram allows 20", "limit": 20, "actual": 21}]


def test_platforms_without_hashtag_or_mention_limits_count_none():
    text = " ".join(f"#t{i} @u{i}" for i in range(31))
    assert violations("linkedin", text) == [] and violations("facebook", text) == []


def test_media_count_limit():
    assert violations("x", "hi", media(JPEG, JPEG, JPEG, JPEG)) == []
    assert dumps(violations("x", "hi", media(JPEG, JPEG, JPEG, JPEG, JPEG))) == [
        {"rule": "media_count", "message": "5 media; x allows 4", "limit": 4, "actual": 5}]


def test_media_size_limit_is_inclusive():
    assert violations("x", "hi", media(JPEG, size=5 * MB)) == []
    assert dumps(violations("x", "hi", media(JPEG, size=5 * MB + 1))) == [
        {"rule": "media_size", "message": f"media 0: {5 * MB + 1} bytes; max {5 * MB}",
         "limit": 5 * MB, "actual": 5 * MB + 1}]
    assert violations("x", "hi", media(GIF, size=15 * MB)) == []  # a GIF has its own, larger limit
    assert [v.rule for v in violations("x", "hi", media(GIF, size=15 * MB + 1))] == ["media_size"]


def test_every_media_item_is_checked_after_a_refused_type():
    found = violations("instagram", "hi", [MediaInfo(content_type=PNG, size_bytes=1),
                                           MediaInfo(content_type=JPEG, size_bytes=8 * MB + 1)])
    assert dumps(found) == [
        {"rule": "media_type", "message": "media 0: image/png is not accepted on instagram", "limit": None,
         "actual": PNG},
        {"rule": "media_size", "message": f"media 1: {8 * MB + 1} bytes; max {8 * MB}", "limit": 8 * MB,
         "actual": 8 * MB + 1},
    ]


def test_media_mixes():
    assert violations("x", "hi", media(JPEG, PNG)) == []  # only images
    assert violations("x", "hi", media(MP4)) == []  # one video alone
    assert violations("x", "hi", media(GIF)) == []  # one GIF alone
    mix = [{"rule": "media_mix", "message": "x allows one video or GIF alone, or only images", "limit": None,
            "actual": None}]
    assert dumps(violations("x", "hi", media(JPEG, GIF))) == mix
    assert dumps(violations("x", "hi", media(MP4, JPEG))) == mix
    assert violations("instagram", "hi", media(MP4, JPEG)) == []  # carousels mix


def test_video_count():
    assert violations("instagram", "hi", media(*[MP4] * 10)) == []
    assert dumps(violations("facebook", "hi", media(MP4, MP4))) == [
        {"rule": "media_mix", "message": "facebook allows one video or GIF alone, or only images", "limit": None,
         "actual": None},
        {"rule": "video_count", "message": "facebook allows 1 video(s)", "limit": 1, "actual": 2},
    ]


def test_empty_posts():
    empty = [{"rule": "empty", "message": "a post needs text or media", "limit": None, "actual": None}]
    assert dumps(violations("x", "")) == empty
    assert dumps(violations("x", "  \n ")) == empty
    assert violations("x", "", media(JPEG)) == []  # media alone is a post
    assert violations("x", ".") == []


def test_instagram_needs_media():
    assert dumps(violations("instagram", "hi")) == [
        {"rule": "media_required", "message": "instagram posts need an image or a video", "limit": None,
         "actual": None}]
    assert violations("instagram", "hi", media(JPEG)) == []


# ---------------------------------------------------------------- validate()


def test_validate_passes_the_media_through():
    validate("instagram", "hi", media(JPEG))  # fine with its image
    with pytest.raises(LilyError) as err:
        validate("x", "hi", media(JPEG, JPEG, JPEG, JPEG, JPEG))
    assert err.value.details["violations"][0]["rule"] == "media_count"


def test_validate_raises_content_001_with_every_violation():
    with pytest.raises(LilyError) as err:
        validate("instagram", "a" * 2201)
    assert err.value.code.value == "CONTENT_001"
    assert err.value.message == "text is 2201 long; instagram allows 2200"
    assert err.value.details == {"platform": "instagram", "violations": [
        {"rule": "text_length", "message": "text is 2201 long; instagram allows 2200", "limit": 2200,
         "actual": 2201},
        {"rule": "media_required", "message": "instagram posts need an image or a video", "limit": None,
         "actual": None},
    ]}
