"""Banned and avoided words hidden by invisible or look-alike characters still flag a draft (issue 25 security 3):
every text check matches on one normalization (lily.content.normalize.match_key)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lily.content.normalize import match_key
from lily.content.schemas import BrandIn
from lily.content.scoring import score

BRAND = BrandIn(banned_words=["secretword", "secret"], avoid=["synergy"], keywords=["onboarding"])


@pytest.mark.parametrize("hidden", [
    "secret\u200bword",   # zero-width space
    "secret\u2060word",   # word joiner
    "sec\u00adret",       # soft hyphen
    "\u0455ecret",        # Cyrillic dze, looks like s
    "ｓｅｃｒｅｔ",         # full-width
    "SECRET\ufe0f",       # variation selector
])
def test_a_banned_word_hidden_by_invisible_or_look_alike_characters_flags_the_draft(hidden):
    result = score(f"Our {hidden} plan for onboarding", "linkedin", BRAND)
    assert result.flagged and any(h in ("secretword", "secret") for h in result.hits), hidden


def test_an_avoided_word_with_a_cyrillic_letter_flags_and_the_keyword_still_counts():
    result = score("Real \u0455ynergy in onb\u043earding", "linkedin", BRAND)  # Cyrillic s and o
    assert result.flagged and result.hits == ["synergy"]
    keywords = next(r for r in result.reasons if r.check == "keywords")
    assert keywords.ok


def test_plain_accented_words_are_left_alone():
    assert match_key("Café Résumé") == "café résumé"
    assert not score("A café résumé for onboarding", "linkedin", BRAND).flagged


def test_the_brand_profile_sees_a_disguised_keyword_avoid_clash():
    with pytest.raises(ValidationError):
        BrandIn(keywords=["synergy"], avoid=["\u0455ynergy"])
