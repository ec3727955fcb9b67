"""The inbox's sentiment rule (docs/inbox.md): word lists, a negator flipping the next scored word."""

from __future__ import annotations

import pytest

from lily.social.sentiment import sentiment


@pytest.mark.parametrize("text,expected", [
    ("Love this, thanks!", "positive"),
    ("This is broken and the support was rude", "negative"),
    ("What time do you open on Sunday?", "neutral"),
    ("not good at all", "negative"),
    ("I don't hate it", "positive"),
    ("Great bread but terrible parking", "neutral"),
    ("", "neutral"),
    ("LOVE LOVE LOVE", "positive"),
])
def test_the_documented_rule(text, expected):
    assert sentiment(text) == expected
